/**
 * Frontend types: a registry of view factories by type name (ObjectSync's `frontend_type`),
 * mounted on a mirror to keep one DOM view per object.
 */
import type { AnyTypeDef } from '../../shared/index.js';
import type { AttrsOf } from '../types.js';
import { TreeMount, type Mount, type MirrorSource, type ViewFactory } from './mount.js';

/**
 * Maps type names to view factories and mounts mirrors with them. Register by type definition to
 * get a typed view (`ctx.text('label', el)` only accepts Gauge's scalar attributes), or by name.
 * A factory that throws propagates out of the mirror's event; factories should not throw.
 * @example
 * const views = new ViewRegistry()
 *   .register(Panel, (panel, ctx) => {
 *     const el = document.createElement('section');
 *     const title = el.appendChild(document.createElement('h2'));
 *     ctx.text('title', title);
 *     const body = el.appendChild(document.createElement('div'));
 *     return { el, container: body }; // child objects' views go into body
 *   })
 *   .register(Gauge, (gauge, ctx) => {
 *     const el = document.createElement('meter');
 *     ctx.property('value', el, 'value');
 *     return { el };
 *   });
 * const mount = views.mount(mirror, document.getElementById('app')!);
 * // later: mount.unmount();
 */
export class ViewRegistry {
  readonly #factories = new Map<string, ViewFactory>();

  /** Starts with `factories` by type name, if given. */
  constructor(factories?: Readonly<Record<string, ViewFactory>>) {
    if (factories !== undefined) for (const [name, factory] of Object.entries(factories)) this.#factories.set(name, factory);
  }

  /** Sets the factory for a type (by definition, typed; or by name); a later registration replaces an earlier one. */
  register<T extends AnyTypeDef>(type: T, factory: ViewFactory<AttrsOf<T>>): this;
  register(type: string, factory: ViewFactory): this;
  register(type: string | AnyTypeDef, factory: ViewFactory<AttrsOf<AnyTypeDef>>): this {
    // The mount hands a factory only views of its own type, so the typed factory sees what it declares.
    this.#factories.set(typeof type === 'string' ? type : type.name, factory as ViewFactory);
    return this;
  }

  /** Whether a type has a factory. */
  has(type: string | AnyTypeDef): boolean {
    return this.#factories.has(typeof type === 'string' ? type : type.name);
  }

  /**
   * Builds a view for every object of `mirror` whose type has a factory, inserts their elements
   * under `root` in tree order, and keeps them in step until `unmount()`. Registrations made after
   * this call do not affect the returned mount.
   * @example
   * const mount = registry.mount(mirror, document.body);
   */
  mount(mirror: MirrorSource, root: Element): Mount {
    return new TreeMount(mirror, root, new Map(this.#factories));
  }
}
