/**
 * PyYAML (YAML 1.1, `yaml.safe_load`) implicit scalar resolution. The `yaml` package's own 1.1 schema differs from
 * PyYAML (it reads `y`/`n`/`Y`/`N` as booleans, which would turn the atom `N` into `false`), so files are parsed
 * with the failsafe schema (every scalar a string) and plain scalars are resolved here exactly as PyYAML does.
 */

export type Yaml11Kind = 'str' | 'bool' | 'null' | 'int' | 'float' | 'timestamp' | 'merge' | 'value';

// Regular expressions of PyYAML's resolver.py (Resolver.add_implicit_resolver calls), verbatim.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

/** Kind PyYAML gives a plain (unquoted, untagged) scalar. */
export function resolvePlain(s: string): Yaml11Kind {
  if (BOOL.test(s)) return 'bool';
  if (NULL.test(s)) return 'null';
  if (INT.test(s)) return 'int';
  if (FLOAT.test(s)) return 'float';
  if (TIMESTAMP.test(s)) return 'timestamp';
  if (s === '<<') return 'merge';
  if (s === '=') return 'value';
  return 'str';
}

/** How the Python type would print in an error message. */
export function pythonType(kind: Yaml11Kind): string {
  switch (kind) {
    case 'bool': return 'bool';
    case 'null': return 'NoneType';
    case 'int': return 'int';
    case 'float': return 'float';
    case 'timestamp': return 'datetime';
    default: return 'str';
  }
}
