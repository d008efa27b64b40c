/** Whether `host` is `zone` or a name below it. */
export function inZone(host: string, zone: string): boolean {
  return host === zone || host.endsWith(`.${zone}`);
}
