/**
 * Canonical text of the small SQL expressions a schema holds (partial-index predicates, column
 * defaults), so SQLite's and PostgreSQL's renderings of the same expression compare equal.
 * SQLite keeps the text as written (`status IN ('a', 'b')`); PostgreSQL re-renders it from its
 * parse tree (`(status = ANY (ARRAY['a'::text, 'b'::text]))`). Both are parsed into a tree here
 * and printed one way: casts dropped (the column's type family is compared on its own),
 * `= ANY (ARRAY[…])` as `IN (…)`, a one-value `IN` as `=`, `!=` as `<>`, keywords upper case,
 * identifiers unquoted and lower case, and parentheses only where precedence needs them.
 * An expression outside this subset throws, so a new construct extends the parser on purpose
 * instead of being compared as raw text that differs per dialect.
 */

type Node =
  | { kind: 'bool'; op: 'AND' | 'OR'; args: Node[] }
  | { kind: 'not'; arg: Node }
  | { kind: 'isnull'; arg: Node; negated: boolean }
  | { kind: 'in'; arg: Node; values: Node[]; negated: boolean }
  | { kind: 'cmp'; op: string; left: Node; right: Node }
  | { kind: 'list'; values: Node[] }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'atom'; text: string };

type Token = { type: 'str' | 'num' | 'word' | 'ident' | 'punct'; text: string };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'ANY', 'ARRAY', 'TRUE', 'FALSE']);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let j = i + 1;
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      if (j >= text.length) throw new Error(`unterminated string in ${JSON.stringify(text)}`);
      tokens.push({ type: 'str', text: text.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '"' || c === '`' || c === '[' && /^\[[A-Za-z_]/.test(text.slice(i)) && tokens.at(-1)?.text !== 'ARRAY') {
      // A quoted identifier ("x", `x`, [x]); `ARRAY[` is PostgreSQL's array constructor instead.
      const close = c === '[' ? ']' : c;
      const j = text.indexOf(close, i + 1);
      if (j < 0) throw new Error(`unterminated identifier in ${JSON.stringify(text)}`);
      tokens.push({ type: 'ident', text: text.slice(i + 1, j).toLowerCase() });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'num', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      const upper = m[0].toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { type: 'word', text: upper } : { type: 'ident', text: m[0].toLowerCase() });
      i += m[0].length;
    } else {
      const two = text.slice(i, i + 2);
      const p = ['::', '<>', '!=', '<=', '>='].includes(two) ? two : c;
      if (!'()[],=<>-:!'.includes(p[0]) || p === '!') throw new Error(`unexpected ${JSON.stringify(c)} in ${JSON.stringify(text)}`);
      tokens.push({ type: 'punct', text: p });
      i += p.length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  private readonly source: string;
  constructor(tokens: Token[], source: string) {
    this.tokens = tokens;
    this.source = source;
  }

  parse(): Node {
    const node = this.or();
    if (this.pos < this.tokens.length) this.fail(`unexpected ${this.tokens[this.pos].text}`);
    return node;
  }

  private fail(why: string): never {
    throw new Error(`cannot canonicalise SQL expression ${JSON.stringify(this.source)}: ${why}`);
  }
  private peek(text: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && (t.type === 'word' || t.type === 'punct') && t.text === text;
  }
  private accept(text: string): boolean {
    if (!this.peek(text)) return false;
    this.pos++;
    return true;
  }
  private expect(text: string): void {
    if (!this.accept(text)) this.fail(`expected ${text}`);
  }

  private or(): Node {
    return this.chain('OR', () => this.and());
  }
  private and(): Node {
    return this.chain('AND', () => this.not());
  }
  /** Flattens `a AND (b AND c)` to one list: the same predicate, however it was bracketed. */
  private chain(op: 'AND' | 'OR', next: () => Node): Node {
    const args = [next()];
    while (this.accept(op)) args.push(next());
    const flat = args.flatMap((a) => (a.kind === 'bool' && a.op === op ? a.args : [a]));
    return flat.length === 1 ? flat[0] : { kind: 'bool', op, args: flat };
  }
  private not(): Node {
    return this.accept('NOT') ? { kind: 'not', arg: this.not() } : this.comparison();
  }
  private comparison(): Node {
    const left = this.primary();
    if (this.accept('IS')) {
      const negated = this.accept('NOT');
      this.expect('NULL');
      return { kind: 'isnull', arg: left, negated };
    }
    const negated = this.accept('NOT');
    if (this.accept('IN')) {
      this.expect('(');
      return this.inList(left, this.list(')'), negated);
    }
    if (negated) this.fail('expected IN after NOT');
    const t = this.tokens[this.pos];
    if (t?.type !== 'punct' || !COMPARISONS.has(t.text)) return left;
    this.pos++;
    const op = t.text === '!=' ? '<>' : t.text;
    if (this.accept('ANY')) {
      // PostgreSQL's rendering of IN: `x = ANY (ARRAY[...])`.
      if (op !== '=') this.fail(`${op} ANY is not IN`);
      this.expect('(');
      const arr = this.primary();
      this.expect(')');
      if (arr.kind !== 'list') this.fail('ANY of something other than an array');
      return this.inList(left, arr.values, false);
    }
    return { kind: 'cmp', op, left, right: this.primary() };
  }
  private inList(arg: Node, values: Node[], negated: boolean): Node {
    if (values.length === 1) return { kind: 'cmp', op: negated ? '<>' : '=', left: arg, right: values[0] };
    return { kind: 'in', arg, values, negated };
  }
  private list(close: string): Node[] {
    const values: Node[] = [];
    if (this.accept(close)) return values;
    do values.push(this.or());
    while (this.accept(','));
    this.expect(close);
    return values;
  }
  /** A value, then any casts (`::text`, `::character varying`, `::text[]`), which are dropped.
   *  PostgreSQL renders a negative number default as a string cast to the column type
   *  (`DEFAULT -1` reads back as `'-1'::integer`): that string becomes the number again. */
  private primary(): Node {
    let node = this.value();
    while (this.accept('::')) {
      if (this.tokens[this.pos]?.type !== 'ident') this.fail('expected a type after ::');
      const words: string[] = [];
      while (this.tokens[this.pos]?.type === 'ident') words.push(this.tokens[this.pos++].text);
      while (this.accept('[')) this.expect(']');
      const numeric = /^(smallint|integer|bigint|numeric|real|double precision)$/.test(words.join(' '));
      if (numeric && node.kind === 'atom' && /^'-?[0-9]+(\.[0-9]+)?'$/.test(node.text)) node = { kind: 'atom', text: node.text.slice(1, -1) };
    }
    return node;
  }
  private value(): Node {
    const t = this.tokens[this.pos];
    if (t === undefined) this.fail('unexpected end');
    if (this.accept('(')) {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (this.accept('ARRAY')) {
      this.expect('[');
      return { kind: 'list', values: this.list(']') };
    }
    if (this.accept('-')) {
      const n = this.tokens[this.pos];
      if (n?.type !== 'num') this.fail('expected a number after -');
      this.pos++;
      return { kind: 'atom', text: `-${n.text}` };
    }
    if (t.type === 'str' || t.type === 'num' || t.text === 'NULL' || t.text === 'TRUE' || t.text === 'FALSE') {
      this.pos++;
      return { kind: 'atom', text: t.text };
    }
    if (t.type === 'ident') {
      this.pos++;
      if (this.accept('(')) return { kind: 'call', name: t.text, args: this.list(')') };
      return { kind: 'atom', text: t.text };
    }
    this.fail(`unexpected ${t.text}`);
  }
}

function print(node: Node, parent: 'AND' | 'OR' | 'NOT' | null = null): string {
  switch (node.kind) {
    case 'bool': {
      const text = node.args.map((a) => print(a, node.op)).join(` ${node.op} `);
      // OR binds looser than AND, and NOT binds tighter than both.
      return parent === 'NOT' || (parent === 'AND' && node.op === 'OR') ? `(${text})` : text;
    }
    case 'not':
      return `NOT ${print(node.arg, 'NOT')}`;
    case 'isnull':
      return `${print(node.arg, 'NOT')} IS ${node.negated ? 'NOT ' : ''}NULL`;
    case 'in':
      return `${print(node.arg, 'NOT')} ${node.negated ? 'NOT ' : ''}IN (${node.values.map((v) => print(v)).join(', ')})`;
    case 'cmp':
      return `${print(node.left, 'NOT')} ${node.op} ${print(node.right, 'NOT')}`;
    case 'list':
      return `(${node.values.map((v) => print(v)).join(', ')})`;
    case 'call':
      return `${node.name}(${node.args.map((a) => print(a)).join(', ')})`;
    case 'atom':
      return node.text;
  }
}

export function canonicalExpression(text: string): string {
  return print(new Parser(tokenize(text), text).parse());
}
