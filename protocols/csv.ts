/**
 * RFC 4180 CSV, for machine files (`atalaya relay export`, the volumes' CSV): CRLF line ends, a
 * field quoted when it holds a comma, a quote, CR or LF, quotes doubled inside. Numbers are written
 * by the caller with a dot decimal; nothing here depends on a locale.
 */

export type CsvCell = string | number | null;

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(cell: CsvCell): string {
  const text = cell === null ? '' : typeof cell === 'number' ? numberText(cell) : cell;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The shortest text that reads back as the same number (JS's own), never a locale's. */
function numberText(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/**
 * Rows of a CSV text (RFC 4180 §2): quoted fields may hold commas, doubled quotes and line breaks.
 * A final line end is optional. Returns every row as text; the caller types its columns.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' || c === '\n') {
      endField();
      rows.push(row);
      row = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}
