/**
 * What GET /api/catalog may show to anyone on the LAN: products, floors, tables, sessions and staff
 * names and roles, but no Odoo logins (they are half of a sign-in) and not the hub's own service user.
 */

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function publicCatalog(catalog: unknown, hubLogin: string): unknown {
  if (!isObject(catalog) || !Array.isArray(catalog.users)) return catalog;
  const users = catalog.users.filter(isObject).flatMap((user) => {
    if (user.login === hubLogin) return [];
    const { login: _login, ...rest } = user;
    return [rest];
  });
  return { ...catalog, users };
}
