/** Timeout handles that keep this process alive (RxJS timers are setTimeout/setInterval underneath; an unref'd one does not count) */
export function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
