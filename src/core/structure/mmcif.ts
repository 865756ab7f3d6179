/**
 * mmCIF `atom_site` reader and writer. A small synchronous CIF tokenizer (see read.ts for why Mol*'s is
 * not used) that keeps the line of every row so errors point at the file line.
 */
import { InputError } from '../errors';
import type { Box, Structure } from './types';
import { ModelAssembler } from '../io/assembler';
import { assertText, fmtFixed, parseFloatField, parseIntField } from '../io/text';
import { guessElement, normalizeElement } from './elements';
import { residuesOf } from './builder';
import { ByteWriter } from '../io/bytes';

class CifTokenizer {
  pos = 0;
  line = 1;
  start = 0;
  end = 0;
  tokLine = 1;
  quoted = false;
  constructor(
    readonly text: string,
    readonly source: string,
  ) {}

  /** Advances to the next token; false at the end of the text. */
  next(): boolean {
    const t = this.text;
    const n = t.length;
    let atLineStart = this.pos === 0;
    for (;;) {
      while (this.pos < n) {
        const c = t.charCodeAt(this.pos);
        if (c === 10) {
          this.line++;
          atLineStart = true;
        } else if (c !== 32 && c !== 9 && c !== 13) break;
        else if (c !== 13) atLineStart = false;
        this.pos++;
      }
      if (this.pos >= n) return false;
      if (t.charCodeAt(this.pos) === 35 /* # */) {
        const e = t.indexOf('\n', this.pos);
        this.pos = e === -1 ? n : e;
        continue;
      }
      break;
    }
    this.tokLine = this.line;
    const c = t.charCodeAt(this.pos);
    this.quoted = false;
    if (c === 59 /* ; */ && atLineStart) {
      // Text field: up to a line starting with ';'.
      const e = t.indexOf('\n;', this.pos + 1);
      if (e === -1) throw new InputError('unterminated text field (a line starting with ";" opens it and none closes it)', this.source, this.tokLine);
      this.start = this.pos + 1;
      this.end = e;
      if (this.end > this.start && t.charCodeAt(this.end - 1) === 13) this.end--;
      for (let i = this.pos; i < e; i++) if (t.charCodeAt(i) === 10) this.line++;
      this.line++;
      this.pos = e + 2;
      this.quoted = true;
      return true;
    }
    if (c === 39 || c === 34) {
      // Quoted value: ends at the same quote followed by whitespace (so O5' inside "O5'" is fine).
      let i = this.pos + 1;
      for (;;) {
        if (i >= n) throw new InputError('unterminated quoted value', this.source, this.tokLine);
        const d = t.charCodeAt(i);
        if (d === 10 || d === 13) throw new InputError('unterminated quoted value (line ends inside quotes)', this.source, this.tokLine);
        if (d === c) {
          const nx = i + 1 < n ? t.charCodeAt(i + 1) : 32;
          if (nx === 32 || nx === 9 || nx === 10 || nx === 13) break;
        }
        i++;
      }
      this.start = this.pos + 1;
      this.end = i;
      this.pos = i + 1;
      this.quoted = true;
      return true;
    }
    let i = this.pos;
    while (i < n) {
      const d = t.charCodeAt(i);
      if (d === 32 || d === 9 || d === 10 || d === 13) break;
      i++;
    }
    this.start = this.pos;
    this.end = i;
    this.pos = i;
    return true;
  }

  get value(): string {
    return this.text.slice(this.start, this.end);
  }
  /** Unquoted token starting with the given (lower-case) keyword, case-insensitively. */
  isKeyword(kw: string): boolean {
    if (this.quoted || this.end - this.start < kw.length) return false;
    for (let i = 0; i < kw.length; i++) {
      const c = this.text.charCodeAt(this.start + i);
      if ((c >= 65 && c <= 90 ? c | 32 : c) !== kw.charCodeAt(i)) return false;
    }
    return true;
  }
  /** A token that ends a loop's values: a data name or a reserved word (loop_, data_, save_, stop_). */
  get endsLoop(): boolean {
    if (this.quoted) return false;
    const c0 = this.text.charCodeAt(this.start);
    if (c0 === 95) return true; // _name
    const c = c0 | 32;
    if (c !== 108 && c !== 100 && c !== 115) return false; // l, d, s (any case)
    return this.isKeyword('loop_') || this.isKeyword('data_') || this.isKeyword('save_') || this.isKeyword('stop_');
  }
  get isName(): boolean {
    return !this.quoted && this.text.charCodeAt(this.start) === 95;
  }
}

const CELL_FIELDS = ['length_a', 'length_b', 'length_c', 'angle_alpha', 'angle_beta', 'angle_gamma'];

export function parseMmcif(text: string, source: string): Structure {
  if (!/\S/.test(text)) throw new InputError('file is empty', source, 1);
  assertText(text, source);
  const tk = new CifTokenizer(text, source);
  let sawData = false;
  let title = '';
  let blockName = '';
  const cell: (number | undefined)[] = [];
  let cellLine = 0;
  // atom_site loop: column names, then token offsets per value and the line of each row.
  let cols: string[] | null = null;
  let loopLine = 0;
  let starts: Int32Array = new Int32Array(0);
  let ends: Int32Array = new Int32Array(0);
  let quotedFlags: Uint8Array = new Uint8Array(0);
  let nvals = 0;
  const rowLines: number[] = [];
  let have = tk.next();
  while (have) {
    if (tk.isKeyword('data_')) {
      if (sawData && cols) break; // first block with atoms only
      sawData = true;
      if (!blockName) blockName = text.slice(tk.start + 5, tk.end);
      have = tk.next();
    } else if (tk.isKeyword('loop_')) {
      const ln = tk.tokLine;
      const names: string[] = [];
      have = tk.next();
      while (have && tk.isName) {
        names.push(tk.value);
        have = tk.next();
      }
      const isAtomSite = names.length > 0 && names[0].toLowerCase().startsWith('_atom_site.');
      if (isAtomSite && cols) throw new InputError('a second atom_site loop in the same block', source, ln);
      if (isAtomSite) {
        cols = names.map((s) => s.slice('_atom_site.'.length));
        loopLine = ln;
        let cap = Math.max(1024, ((text.length / 6) | 0) + 16);
        starts = new Int32Array(cap);
        ends = new Int32Array(cap);
        quotedFlags = new Uint8Array(cap);
        const nc = cols.length;
        while (have && !tk.endsLoop) {
          if (nvals === cap) {
            cap *= 2;
            const s2 = new Int32Array(cap), e2 = new Int32Array(cap), q2 = new Uint8Array(cap);
            s2.set(starts);
            e2.set(ends);
            q2.set(quotedFlags);
            starts = s2;
            ends = e2;
            quotedFlags = q2;
          }
          if (nvals % nc === 0) rowLines.push(tk.tokLine);
          starts[nvals] = tk.start;
          ends[nvals] = tk.end;
          quotedFlags[nvals] = tk.quoted ? 1 : 0;
          nvals++;
          have = tk.next();
        }
        if (nvals % nc !== 0) {
          throw new InputError(`atom_site loop (line ${ln}) ends with an incomplete row: ${nvals % nc} of ${nc} values`, source, rowLines[rowLines.length - 1]);
        }
      } else {
        while (have && !tk.endsLoop) have = tk.next();
      }
    } else if (tk.isName) {
      const key = tk.value.toLowerCase();
      const ln = tk.tokLine;
      have = tk.next();
      if (!have || tk.isName || tk.isKeyword('loop_') || tk.isKeyword('data_')) throw new InputError(`data item ${key} has no value`, source, ln);
      if (key.startsWith('_cell.')) {
        const k = CELL_FIELDS.indexOf(key.slice(6));
        if (k >= 0) {
          const v = parseFloatField(text, tk.start, tk.end);
          if (tk.value !== '?' && tk.value !== '.') {
            if (!Number.isFinite(v)) throw new InputError(`${key} value "${tk.value}" is not a number`, source, tk.tokLine);
            cell[k] = v;
            cellLine = tk.tokLine;
          }
        }
      } else if (key === '_struct.title' && !title) title = tk.value.trim();
      have = tk.next();
    } else {
      // save frames, stray values: skip (not used by coordinate files)
      have = tk.next();
    }
  }
  if (!sawData && !cols) throw new InputError('not an mmCIF file: no data_ block', source, 1);
  if (!cols) throw new InputError('no atom_site loop: the file has no coordinates', source, 1);

  const nc = cols.length;
  // CIF data names are case-insensitive (_atom_site.Cartn_x and _atom_site.cartn_x are the same item).
  const lower = cols.map((c) => c.toLowerCase());
  const col = (name: string): number => lower.indexOf(name.toLowerCase());
  const cx = col('Cartn_x'), cy = col('Cartn_y'), cz = col('Cartn_z');
  const cAuthAtom = col('auth_atom_id'), cLabelAtom = col('label_atom_id');
  const cAuthComp = col('auth_comp_id'), cLabelComp = col('label_comp_id');
  const cAuthAsym = col('auth_asym_id'), cLabelAsym = col('label_asym_id');
  const cAuthSeq = col('auth_seq_id'), cLabelSeq = col('label_seq_id');
  const cAlt = col('label_alt_id'), cIns = col('pdbx_PDB_ins_code'), cModel = col('pdbx_PDB_model_num');
  const cGroup = col('group_PDB'), cType = col('type_symbol'), cOcc = col('occupancy'), cB = col('B_iso_or_equiv');
  const cId = col('id');
  if (cx < 0 || cy < 0 || cz < 0) throw new InputError('atom_site loop has no Cartn_x/Cartn_y/Cartn_z columns', source, loopLine);
  if (cAuthAtom < 0 && cLabelAtom < 0) throw new InputError('atom_site loop has no atom name column (auth_atom_id or label_atom_id)', source, loopLine);
  if (cAuthComp < 0 && cLabelComp < 0) throw new InputError('atom_site loop has no residue name column (auth_comp_id or label_comp_id)', source, loopLine);
  if (cAuthSeq < 0 && cLabelSeq < 0) throw new InputError('atom_site loop has no residue number column (auth_seq_id or label_seq_id)', source, loopLine);

  const nrows = nvals / nc;
  const missing = (v: number) => {
    if (quotedFlags[v]) return false;
    const len = ends[v] - starts[v];
    if (len !== 1) return false;
    const c = text.charCodeAt(starts[v]);
    return c === 46 || c === 63;
  };
  // Token text, cached per short ASCII value (atom/residue names, chains, symbols repeat): no slice per row.
  const cache = new Map<number, string>();
  const tokenText = (v: number): string => {
    const a = starts[v], len = ends[v] - a;
    if (len <= 4 && len > 0) {
      let key = len;
      for (let k = 0; k < len; k++) {
        const c = text.charCodeAt(a + k);
        if (c >= 128) return text.slice(a, a + len);
        key = key * 128 + c;
      }
      key = quotedFlags[v] ? -key : key;
      let r = cache.get(key);
      if (r === undefined) cache.set(key, (r = text.slice(a, a + len)));
      return r;
    }
    return text.slice(a, a + len);
  };
  const str = (row: number, c1: number, c2 = -1): string => {
    if (c1 >= 0) {
      const v = row * nc + c1;
      if (!missing(v)) return tokenText(v);
    }
    if (c2 >= 0) {
      const v = row * nc + c2;
      if (!missing(v)) return tokenText(v);
    }
    return '';
  };
  const num = (row: number, c: number, what: string, line: number): number => {
    const v = row * nc + c;
    const x = parseFloatField(text, starts[v], ends[v]);
    if (!Number.isFinite(x)) throw new InputError(`${what} "${text.slice(starts[v], ends[v])}" is not a finite number`, source, line);
    return x;
  };
  const asm = new ModelAssembler(source, nrows);
  let curModel = '';
  let lastComp = '';
  const elementOf = new Map<string, string>();
  for (let r = 0; r < nrows; r++) {
    const line = rowLines[r];
    if (cModel >= 0) {
      const m = str(r, cModel);
      if (m !== curModel) {
        if (curModel !== '') asm.endModel(line);
        asm.beginModel(line);
        curModel = m;
      }
    }
    const name = str(r, cAuthAtom, cLabelAtom);
    if (!name) throw new InputError('atom without a name', source, line);
    let resName = str(r, cAuthComp, cLabelComp);
    if (resName === lastComp) resName = lastComp;
    else lastComp = resName;
    const chainId = str(r, cAuthAsym, cLabelAsym);
    let resSeq = 0;
    let found = false;
    for (let q = 0; q < 2; q++) {
      const c = q === 0 ? cAuthSeq : cLabelSeq;
      if (c < 0 || missing(r * nc + c)) continue;
      const v = r * nc + c;
      resSeq = parseIntField(text, starts[v], ends[v]);
      if (!Number.isFinite(resSeq)) throw new InputError(`residue number "${text.slice(starts[v], ends[v])}" is not an integer`, source, line);
      found = true;
      break;
    }
    if (!found) resSeq = 0; // e.g. waters without auth_seq_id: numbering lost, still readable
    const x = num(r, cx, 'Cartn_x', line), y = num(r, cy, 'Cartn_y', line), z = num(r, cz, 'Cartn_z', line);
    const occ = cOcc >= 0 && !missing(r * nc + cOcc) ? num(r, cOcc, 'occupancy', line) : 1;
    const b = cB >= 0 && !missing(r * nc + cB) ? num(r, cB, 'B_iso_or_equiv', line) : 0;
    const type = str(r, cType);
    let element = type ? elementOf.get(type) : undefined;
    if (element === undefined) {
      element = type ? normalizeElement(type) : guessElement(name, resName);
      if (type) elementOf.set(type, element);
    }
    const group = str(r, cGroup);
    let serial = r + 1;
    if (cId >= 0) {
      const v = r * nc + cId;
      const s = parseIntField(text, starts[v], ends[v]);
      if (Number.isFinite(s)) serial = s;
    }
    asm.addAtom(name, resName, chainId, resSeq, str(r, cIns), str(r, cAlt), x, y, z, occ, b, group === 'HETATM' ? 1 : 0, element, '', serial, line);
  }
  let box: Box | null = null;
  if (cell.length > 0) {
    if (cell.slice(0, 3).some((v) => v === undefined)) throw new InputError('_cell is incomplete (length_a/b/c needed)', source, cellLine);
    const [a, b, c] = cell as number[];
    if (!(a === 1 && b === 1 && c === 1) && a > 0 && b > 0 && c > 0) box = { a, b, c, alpha: cell[3] ?? 90, beta: cell[4] ?? 90, gamma: cell[5] ?? 90 };
  }
  return asm.finish(title || blockName, box, rowLines[rowLines.length - 1] ?? 1);
}

/** CIF value quoting: bare when safe, '…' or "…" (a name like O5' needs double quotes). */
export function cifValue(v: string): string {
  if (v === '') return '.';
  const c = v.charCodeAt(0);
  const needs =
    /[\s'"]/.test(v) || c === 95 || c === 35 || c === 36 || c === 39 || c === 34 || c === 59 || c === 91 || c === 93 || v === '.' || v === '?' || /^(data_|loop_|save_|stop_|global_)/i.test(v);
  if (!needs) return v;
  if (!v.includes("'")) return `'${v}'`;
  if (!v.includes('"')) return `"${v}"`;
  return `\n;${v}\n;\n`;
}

export interface FormatMmcifOptions {
  models?: Float64Array[];
  /** data_ block name (default: the title). */
  name?: string;
}

export function formatMmcif(s: Structure, opts: FormatMmcifOptions = {}): string {
  const w = new ByteWriter(Math.max(1 << 16, 90 * s.atoms.count * (opts.models ?? s.models).length + 4096));
  writeMmcif(w, s, opts);
  return w.toString();
}

/** mmCIF data block into `w` (a writer with a sink streams it to a file). */
export function writeMmcif(w: ByteWriter, s: Structure, opts: FormatMmcifOptions = {}): void {
  const a = s.atoms;
  const n = a.count;
  const models = opts.models ?? s.models;
  const block = (opts.name ?? (s.title || 'backmap')).replace(/\s+/g, '_').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40) || 'backmap';
  const out: string[] = [`data_${block}\n#\n`];
  if (s.title) out.push(`_struct.title ${cifValue(s.title)}\n#\n`);
  if (s.box) {
    const b = s.box;
    out.push(
      `_cell.length_a ${fmtFixed(b.a, 3, 0)}\n_cell.length_b ${fmtFixed(b.b, 3, 0)}\n_cell.length_c ${fmtFixed(b.c, 3, 0)}\n` +
        `_cell.angle_alpha ${fmtFixed(b.alpha, 2, 0)}\n_cell.angle_beta ${fmtFixed(b.beta, 2, 0)}\n_cell.angle_gamma ${fmtFixed(b.gamma, 2, 0)}\n#\n`,
    );
  }
  const fields = [
    'group_PDB', 'id', 'type_symbol', 'label_atom_id', 'label_alt_id', 'label_comp_id', 'label_asym_id', 'label_entity_id', 'label_seq_id',
    'pdbx_PDB_ins_code', 'Cartn_x', 'Cartn_y', 'Cartn_z', 'occupancy', 'B_iso_or_equiv', 'auth_seq_id', 'auth_comp_id', 'auth_asym_id',
    'auth_atom_id', 'pdbx_PDB_model_num',
  ];
  out.push('loop_\n' + fields.map((f) => `_atom_site.${f}\n`).join(''));
  // label_seq_id: 1-based index of the residue within its chain for polymer (ATOM) residues; entity per chain.
  const labelSeq: string[] = new Array(n);
  const entity: string[] = new Array(n);
  const chainEntity = new Map<string, number>();
  const seqCount = new Map<string, number>();
  for (const r of residuesOf(a)) {
    const ch = r.chainId;
    if (!chainEntity.has(ch)) chainEntity.set(ch, chainEntity.size + 1);
    const het = a.hetero[r.start] === 1;
    let ls = '.';
    if (!het) {
      const k = (seqCount.get(ch) ?? 0) + 1;
      seqCount.set(ch, k);
      ls = String(k);
    }
    for (let i = r.start; i < r.end; i++) {
      labelSeq[i] = ls;
      entity[i] = String(chainEntity.get(ch));
    }
  }
  w.str(out.join(''));
  const cache = new Map<string, string>();
  const q = (v: string) => {
    let r = cache.get(v);
    if (r === undefined) cache.set(v, (r = cifValue(v)));
    return r;
  };
  // Fields written straight into the byte buffer (no per-atom string building).
  const els: string[] = new Array(n);
  for (let i = 0; i < n; i++) els[i] = a.element[i] || guessElement(a.name[i], a.resName[i]) || '?';
  for (let m = 0; m < models.length; m++) {
    const xyz = models[m];
    if (xyz.length !== 3 * n) throw new Error(`formatMmcif: model ${m + 1} has ${xyz.length / 3} atoms, expected ${n}`);
    const mn = String(m + 1);
    for (let i = 0; i < n; i++) {
      const nm = q(a.name[i]);
      const res = q(a.resName[i]);
      const ch = q(a.chainId[i] || 'A');
      w.str(a.hetero[i] ? 'HETATM ' : 'ATOM ');
      w.int(i + 1, 0);
      w.byte(32);
      w.str(els[i]);
      w.byte(32);
      w.str(nm);
      w.byte(32);
      w.str(q(a.altLoc[i]));
      w.byte(32);
      w.str(res);
      w.byte(32);
      w.str(ch);
      w.byte(32);
      w.str(entity[i]);
      w.byte(32);
      w.str(labelSeq[i]);
      w.byte(32);
      w.str(a.iCode[i] ? q(a.iCode[i]) : '?');
      w.byte(32);
      w.fixed(xyz[3 * i], 3, 0);
      w.byte(32);
      w.fixed(xyz[3 * i + 1], 3, 0);
      w.byte(32);
      w.fixed(xyz[3 * i + 2], 3, 0);
      w.byte(32);
      w.fixed(a.occupancy[i], 2, 0);
      w.byte(32);
      w.fixed(a.bFactor[i], 2, 0);
      w.byte(32);
      w.int(a.resSeq[i], 0);
      w.byte(32);
      w.str(res);
      w.byte(32);
      w.str(ch);
      w.byte(32);
      w.str(nm);
      w.byte(32);
      w.str(mn);
      w.byte(10);
    }
  }
  w.str('#\n');
}
