/**
 * The one small registry that turns configuration into plugin instances: built-in plugins by name, out-of-tree
 * plugins by module specifier (`./site/my-store.ts`, `file:///...`, `npm:...`). The core imports no plugin; the
 * built-in list is handed in by `cli.ts`, `server.ts` or `mod.ts` (see `plugins/mod.ts`).
 *
 * A plugin module looks like a Lume plugin: an `Options` interface, a `defaults` object and a factory.
 *
 * @example
 * ```ts
 * import { definePlugin, Registry } from "./registry.ts";
 * const memorySink = definePlugin({ role: "sink", name: "memory", defaults: {}, create: () => mySink });
 * const registry = new Registry([memorySink]);
 * const sink = await registry.create("sink", "memory", {}, context);
 * ```
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { toFileUrl } from "./paths.ts";
import { ConfigurationError } from "./errors.ts";
import type { Logger, Metrics, RoleName, RoleTypes } from "./roles.ts";

/** What every plugin factory receives besides its options. */
export interface PluginContext {
  logger: Logger;
  /** Where measurements go (a no-op Metrics when none is configured). */
  metrics: Metrics;
  /** The archiver's work directory (state, lock, embedded data). */
  workDir: string;
  /** Directory of the configuration file: relative paths in options resolve against it. */
  configDir: string;
  /** Optional wrapper applied to every instance (the measuring wrapper of core/measure). */
  wrap?: <T extends object>(role: RoleName, name: string, instance: T) => T;
}

/** A plugin: which role it fills, its name, its defaults and its factory. */
export interface Plugin<R extends RoleName = RoleName, O = Record<string, unknown>> {
  role: R;
  name: string;
  defaults: O;
  create(options: O, context: PluginContext): RoleTypes[R] | Promise<RoleTypes[R]>;
}

/** Identity helper that gives a plugin literal its types. */
export function definePlugin<R extends RoleName, O>(plugin: Plugin<R, O>): Plugin<R, O> {
  return plugin;
}

/** Built-in plugins by `role/name`, out-of-tree ones loaded by specifier. */
export class Registry {
  #plugins = new Map<string, Plugin<RoleName, unknown>>();

  constructor(plugins: Iterable<Plugin<RoleName, never>> = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  register(plugin: Plugin<RoleName, never>): void {
    this.#plugins.set(`${plugin.role}/${plugin.name}`, plugin as unknown as Plugin<RoleName, unknown>);
  }

  /** Names of the built-in plugins of a role. */
  names(role: RoleName): string[] {
    return [...this.#plugins.values()].filter((p) => p.role === role).map((p) => p.name).sort();
  }

  /** The plugin `ref` of `role`: a built-in name, or a module specifier whose default export is a plugin. */
  async resolve<R extends RoleName>(role: R, ref: string, configDir = "."): Promise<Plugin<R, unknown>> {
    const builtin = this.#plugins.get(`${role}/${ref}`);
    if (builtin) return builtin as Plugin<R, unknown>;
    if (!isSpecifier(ref)) {
      throw new ConfigurationError(
        `unknown ${role} plugin '${ref}'; built-in ${role} plugins: ${
          this.names(role).join(", ") || "none"
        }; or give a module path such as ./site/my-${role}.ts`,
      );
    }
    const url = /^[a-z][a-z0-9+.-]*:/i.test(ref) && !isAbsolute(ref) ? ref : toFileUrl(resolve(configDir, ref)).href;
    let module: Record<string, unknown>;
    try {
      module = await import(url);
    } catch (error) {
      throw new ConfigurationError(
        `cannot load ${role} plugin module '${ref}': ${(error as Error).message.split("\n")[0]}`,
      );
    }
    const plugin = (module.default ?? module.plugin) as Plugin<RoleName, unknown> | undefined;
    if (!plugin || typeof plugin.create !== "function" || plugin.role !== role) {
      throw new ConfigurationError(
        `module '${ref}' does not export a ${role} plugin (default export { role: "${role}", name, defaults, create })`,
      );
    }
    return plugin as Plugin<R, unknown>;
  }

  /** Create an instance: defaults merged with `options`, then the context's wrapper applied. */
  async create<R extends RoleName>(
    role: R,
    ref: string,
    options: Record<string, unknown>,
    context: PluginContext,
  ): Promise<RoleTypes[R]> {
    const plugin = await this.resolve(role, ref, context.configDir);
    const merged = { ...(plugin.defaults as Record<string, unknown>), ...options };
    const instance = await plugin.create(merged, context);
    return context.wrap ? context.wrap(role, plugin.name, instance as RoleTypes[R] & object) : instance;
  }
}

function isSpecifier(ref: string): boolean {
  return ref.startsWith(".") || ref.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(ref);
}
