// "1 hypervisor", "2 hypervisors": counts read as English at every size.

/** `count` with `noun`, pluralised by an "s" unless `plural` says otherwise; thousands grouped. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? noun : pluralNoun}`;
}
