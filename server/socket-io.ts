/**
 * The socket.io binding of the host: the only server file that imports socket.io.
 * Broadcasts go through rooms, so socket.io encodes each batch (and its WebSocket frame) once per audience.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { Server as IoServer, type ServerOptions as IoServerOptions, type Socket } from 'socket.io';
import { DEFAULT_LIMITS, ErrorCode, SyncError, type AnyTypeDef, type AttrMap, type TypeDef } from '../shared/index.js';
import { SyncHost, type HostOptions } from './host.js';
import type { Session } from './session.js';
import type { SessionLink } from './transport.js';
import type { Tree } from './tree.js';

/** Options of a {@link SyncServer}. */
export interface SyncServerOptions extends HostOptions {
  /** Attach to this http server instead of making one. */
  readonly httpServer?: HttpServer;
  /** socket.io server options (path, cors, ...). */
  readonly io?: Partial<IoServerOptions>;
}

/** Events of a SyncServer. */
export interface SyncServerEvents {
  connection: [session: Session];
  disconnect: [session: Session, reason: string];
}

/**
 * Hosts named trees on one socket.io server.
 * @example
 * const server = new SyncServer({ types: [Board, Card] });
 * const board = server.tree('board', Board);
 * board.root.create(Card, { title: 'first' });
 * await server.listen(3000);
 */
export class SyncServer extends EventEmitter<SyncServerEvents> {
  readonly host: SyncHost;
  readonly io: IoServer;
  readonly httpServer: HttpServer;
  readonly #ownsHttp: boolean;

  constructor(options: SyncServerOptions) {
    super();
    this.#ownsHttp = options.httpServer === undefined;
    this.httpServer = options.httpServer ?? createServer();
    const maxMessageBytes = options.limits?.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
    this.io = new IoServer(this.httpServer, {
      serveClient: false,
      // Past our own limit a message is answered with TOO_LARGE; far past it, socket.io drops the connection.
      maxHttpBufferSize: maxMessageBytes * 4,
      ...options.io,
    });
    this.host = new SyncHost(options, (room, event, args) => this.io.to(room).emit(event, ...args));
    this.io.use((socket, next) => {
      try {
        this.host.checkHello(socket.handshake.auth);
        next();
      } catch (error) {
        const sync = error instanceof SyncError ? error : new SyncError(ErrorCode.INTERNAL, 'handshake failed');
        next(Object.assign(new Error(sync.message), { data: sync.toWire() }));
      }
    });
    this.io.on('connection', (socket) => this.#connect(socket));
  }

  #connect(socket: Socket): void {
    const link: SessionLink = {
      id: socket.id,
      send: (event, ...args) => socket.emit(event, ...args),
      join: (room) => void socket.join(room),
      leave: (room) => void socket.leave(room),
      close: () => void socket.disconnect(true),
    };
    let session: Session;
    try {
      session = this.host.open(link, socket.handshake.auth);
    } catch {
      socket.disconnect(true);
      return;
    }
    socket.onAny((event: unknown, ...args: unknown[]) => session.receive(event, args));
    socket.on('disconnect', (reason) => {
      session.close();
      this.emit('disconnect', session, reason);
    });
    this.emit('connection', session);
  }

  /** Starts the http server listening; resolves to the port. Port 0 picks a free one. */
  listen(port = 0, hostname = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, hostname, () => {
        this.httpServer.off('error', reject);
        resolve(this.port);
      });
    });
  }

  /** The port the http server listens on. */
  get port(): number {
    return (this.httpServer.address() as AddressInfo | null)?.port ?? 0;
  }

  /** How many sessions are connected. */
  get sessionCount(): number {
    return this.host.sessions.size;
  }

  /** The tree with this name, created with `rootType` when it does not exist yet. */
  tree<R extends AttrMap>(name: string, rootType: TypeDef<string, R>): Tree<R>;
  /** The tree with this name; UNKNOWN_TREE when it does not exist. */
  tree(name: string): Tree;
  tree(name: string, rootType?: AnyTypeDef): Tree {
    return rootType === undefined ? this.host.tree(name) : this.host.tree(name, rootType);
  }

  /** Sends pending batches and disconnects everyone; closes the http server only when it made it. */
  async close(): Promise<void> {
    this.host.close();
    if (!this.#ownsHttp) {
      // io.close() would close the application's http server too. Closing the transports (not
      // disconnecting the sockets) lets clients reconnect by themselves when a server is back.
      this.io.engine.close();
      return;
    }
    await new Promise<void>((resolve) => {
      void this.io.close(() => resolve());
      this.httpServer.closeAllConnections();
    });
  }
}
