/**
 * Splits a list input written one per line or comma-separated, trimming each
 * entry, dropping empty ones and honouring double quotes around an entry that
 * itself contains a comma (as docker/build-push-action does).
 */
export function parseListInput(text: string): string[] {
  const items: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let current = '';
    let quoted = false;
    for (const char of line) {
      if (char === '"') quoted = !quoted;
      else if (char === ',' && !quoted) {
        items.push(current);
        current = '';
      } else current += char;
    }
    items.push(current);
  }
  return items.map((item) => item.trim()).filter((item) => item !== '');
}
