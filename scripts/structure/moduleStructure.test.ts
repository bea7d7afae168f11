import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeCycle, importCycles, importGraph, sourceFiles } from './moduleGraph.js';

/*
 * The module rules of CONTRIBUTING.md ("File names"), checked over the source of every package
 * and the app: no import cycle between the files of a package, and the case of a file name
 * follows its main export.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_ROOTS = [
  ...readdirSync(join(ROOT, 'packages')).map((name) => join(ROOT, 'packages', name, 'src')),
  join(ROOT, 'apps', 'analytics-service', 'src'),
];

describe('importCycles', () => {
  it('finds a two-file cycle and a longer one, and nothing in a tree', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['d']],
      ['d', ['e']],
      ['e', ['c']],
      ['f', ['a', 'c']],
    ]);
    expect(importCycles(graph)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'e', 'c'],
    ]);
    expect(
      importCycles(
        new Map([
          ['x', ['y']],
          ['y', []],
        ]),
      ),
    ).toEqual([]);
  });
});

describe('module structure', () => {
  for (const sourceRoot of SOURCE_ROOTS) {
    const label = relative(ROOT, sourceRoot);
    const files = sourceFiles(sourceRoot);

    it(`${label} has no import cycle`, () => {
      const cycles = importCycles(importGraph(files)).map((cycle) => describeCycle(ROOT, cycle));
      expect(cycles).toEqual([]);
    });

    it(`${label}: a PascalCase file exports a class of its name, a class is not in a camelCase file of its name`, () => {
      const wrong: string[] = [];
      for (const file of files) {
        const name = basename(file, '.ts');
        const text = readFileSync(file, 'utf8');
        const classes = [...text.matchAll(/^export (?:abstract )?class (\w+)/gm)].map((m) => m[1] as string);
        if (/^[A-Z]/.test(name) && !classes.includes(name))
          wrong.push(`${relative(ROOT, file)}: no class ${name}`);
        const namesake = classes.find((c) => c.toLowerCase() === name.toLowerCase());
        if (/^[a-z]/.test(name) && namesake !== undefined)
          wrong.push(`${relative(ROOT, file)}: holds class ${namesake}, name the file ${namesake}.ts`);
      }
      expect(wrong).toEqual([]);
    });
  }
});
