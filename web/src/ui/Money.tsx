/** An amount in minor units (cents), shown in its currency for the reader's locale. */
export function formatMoney(amount: number, currency: string, locale?: string): string {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

export function Money({ amount, currency }: { amount: number; currency: string }) {
  return <span className="tabular-nums">{formatMoney(amount, currency)}</span>;
}
