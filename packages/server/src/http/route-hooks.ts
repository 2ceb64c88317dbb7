import type { RouteOptions } from 'fastify';

type HookName = 'preHandler' | 'preSerialization' | 'onSend' | 'onResponse';

/**
 * Adds `hook` to one route's own hooks, ahead of those the route declares, from an `onRoute`
 * hook: where an application-wide hook would run (after the application's, before the route's),
 * but only on the routes it has work on. A hook that would return at once on most routes costs
 * every request of those routes a call and a promise; attached per route, it costs them nothing.
 */
export function attachRouteHook(route: RouteOptions, name: HookName, hook: (...args: never[]) => unknown): void {
  const own = route[name] as unknown;
  const list = own === undefined ? [] : Array.isArray(own) ? own : [own];
  (route as unknown as Record<HookName, unknown>)[name] = [hook, ...list];
}

/** The route's methods as a list (a route may declare one or several). */
export function routeMethods(route: RouteOptions): string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}
