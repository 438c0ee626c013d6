// A deliberately tiny template language for the files in templates/:
//   {{name}}              value (dotted paths allowed)
//   {{#list}}…{{/list}}   repeat for each item (or once when truthy); inside, names resolve on the item first
//   {{^flag}}…{{/flag}}   render when falsy or an empty list
// Unknown names are an error, so a typo in a template fails loudly instead of rendering blank.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../util/paths.js';
import { LabError } from '../util/errors.js';

type Scope = Record<string, unknown>;

function lookup(scopes: Scope[], name: string, file: string): unknown {
  if (name === '.') return scopes[0]?.['.'];
  const [head, ...rest] = name.split('.');
  for (const s of scopes) {
    if (s && typeof s === 'object' && head! in s) {
      return rest.reduce<unknown>((v, k) => (v as Scope)?.[k], s[head!]);
    }
  }
  throw new LabError(`template ${file} uses {{${name}}}, which was not given`, { hint: 'This is a bug in lab or in an edited template.' });
}

function renderSection(text: string, scopes: Scope[], file: string): string {
  const section = /\{\{([#^])\s*([\w.]+)\s*\}\}([\s\S]*?)\{\{\/\s*\2\s*\}\}\n?/;
  let out = text;
  let m: RegExpExecArray | null;
  while ((m = section.exec(out))) {
    const [whole, kind, name, body] = m;
    const value = lookup(scopes, name!, file);
    let rendered = '';
    const empty = !value || (Array.isArray(value) && value.length === 0);
    if (kind === '^') rendered = empty ? renderSection(body!, scopes, file) : '';
    else if (Array.isArray(value)) {
      rendered = value
        .map((item) => renderSection(body!, [typeof item === 'object' ? (item as Scope) : { '.': item }, ...scopes], file))
        .join('');
    } else if (!empty) rendered = renderSection(body!, scopes, file);
    out = out.slice(0, m.index) + rendered + out.slice(m.index + whole!.length);
  }
  return out.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => String(lookup(scopes, name, file)));
}

export function renderString(text: string, data: Scope, file = '<inline>'): string {
  return renderSection(text, [data], file);
}

/** Renders templates/<relPath> with data. */
export function renderTemplate(relPath: string, data: Scope): string {
  const file = path.join(templatesDir, relPath);
  return renderString(readFileSync(file, 'utf8'), data, relPath);
}
