"""GROMACS .itp reading shared by the bilayer scripts: the lines of each [ section ], comments and directives dropped."""
import re


def section_lines(lines):
    """(section name in lower case, whitespace-split fields) for every data line of an .itp text's lines."""
    section = None
    for line in lines:
        s = line.split(';')[0].strip()
        if not s or s.startswith('#'):
            continue
        m = re.match(r'^\[\s*(\w+)\s*\]$', s)
        if m:
            section = m.group(1).lower()
            continue
        yield section, s.split()
