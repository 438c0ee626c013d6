// RFC 4180 CSV, both ways: the roster teachers export from a spreadsheet, the gradebook they import.
// Quoted fields may hold commas, doubled quotes and line breaks; lines end in CRLF or LF; a UTF-8 BOM
// (Excel's "CSV UTF-8") is dropped on reading.

export interface CsvRow {
  /** 1-based line the row starts on. */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseCsv(text: string): CsvRow[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let wasQuoted = false;
  const endCell = () => {
    cells.push(cell);
    cell = '';
    wasQuoted = false;
  };
  const endRow = () => {
    endCell();
    // A blank line is no row (a spreadsheet's trailing newline, or spacing a teacher added).
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells });
    cells = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cell !== '' || wasQuoted) throw new CsvSyntaxError(line, 'a quote in the middle of an unquoted field (quote the whole field and double the quote: "a ""b""")');
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') endCell();
    else if (c === '\r' && s[i + 1] === '\n') {
      /* the \n ends the row */
    } else if (c === '\n') {
      endRow();
      line++;
      rowLine = line;
    } else {
      if (wasQuoted) throw new CsvSyntaxError(line, 'text after the closing quote of a field');
      cell += c;
    }
  }
  if (quoted) throw new CsvSyntaxError(rowLine, 'a quoted field is not closed');
  if (cell !== '' || cells.length || wasQuoted) endRow();
  return rows;
}

/** One field, quoted when it must be (comma, quote, CR or LF), quotes doubled. */
export function csvField(value: string | number | boolean): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A text cell a spreadsheet must not run: names and messages come from students, and Excel or
 * LibreOffice treat a cell starting with = + - @ (or a tab/CR before them) as a formula (OWASP "CSV
 * injection"). Such cells get a leading apostrophe, which spreadsheets show as text.
 */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Rows → RFC 4180 text with CRLF line ends. */
export function formatCsv(rows: (string | number | boolean)[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
