import { describe, expect, it } from 'vitest';
import { checkManifest, checkSourceMap, checkTarballFiles, manifestTargets } from './checks.mjs';

const manifest = {
  name: '@marketplace/demo',
  version: '1.2.3',
  files: ['dist', 'schema'],
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './schema.json': './schema/demo.schema.json',
    './package.json': './package.json',
  },
  dependencies: { '@marketplace/other': '^1.0.0' },
};
const goodFiles = [
  'package/package.json',
  'package/README.md',
  'package/LICENSE',
  'package/dist/index.js',
  'package/dist/index.js.map',
  'package/dist/index.cjs',
  'package/dist/index.d.ts',
  'package/dist/index.d.cts',
  'package/schema/demo.schema.json',
];

describe('checkTarballFiles', () => {
  it('accepts dist, README, LICENSE, package.json and directories declared in files', () => {
    expect(checkTarballFiles(goodFiles, manifest)).toEqual([]);
  });

  it('rejects sources and configuration that are not declared', () => {
    const problems = checkTarballFiles(
      [...goodFiles, 'package/src/index.ts', 'package/tsup.config.ts'],
      manifest,
    );
    expect(problems).toEqual([
      'src/index.ts is outside dist/ and the declared files',
      'tsup.config.ts is not one of dist/, README.md, LICENSE, package.json',
    ]);
  });

  it('rejects test files even inside dist', () => {
    const problems = checkTarballFiles(
      [...goodFiles, 'package/dist/parse.test.js', 'package/dist/test/a.js'],
      manifest,
    );
    expect(problems).toEqual([
      'dist/parse.test.js looks like a test file',
      'dist/test/a.js looks like a test file',
    ]);
  });

  it('requires README.md and LICENSE', () => {
    const problems = checkTarballFiles(['package/package.json', 'package/dist/index.js'], {
      files: ['dist'],
    });
    expect(problems).toEqual(['README.md is missing', 'LICENSE is missing']);
  });
});

describe('checkManifest', () => {
  it('accepts a manifest whose entry points are all in the tarball', () => {
    expect(checkManifest(manifest, { name: manifest.name, version: '1.2.3', files: goodFiles })).toEqual([]);
  });

  it('reports workspace: ranges left in any dependency field', () => {
    const published = {
      ...manifest,
      dependencies: { '@marketplace/other': 'workspace:^' },
      devDependencies: { '@marketplace/local-stack': 'workspace:*' },
    };
    expect(checkManifest(published, { name: manifest.name, version: '1.2.3', files: goodFiles })).toEqual([
      'dependencies.@marketplace/other is "workspace:^"',
      'devDependencies.@marketplace/local-stack is "workspace:*"',
    ]);
  });

  it('reports an entry point missing from the tarball and a wrong version', () => {
    const files = goodFiles.filter((file) => file !== 'package/dist/index.d.cts');
    expect(checkManifest(manifest, { name: manifest.name, version: '1.2.4', files })).toEqual([
      'version is 1.2.3, expected 1.2.4',
      'entry point dist/index.d.cts is not in the tarball',
    ]);
  });

  it('lists every target of exports, main, module and types once', () => {
    expect(manifestTargets(manifest).sort()).toEqual([
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
      'schema/demo.schema.json',
    ]);
  });
});

describe('checkSourceMap', () => {
  it('accepts sources inside the package root with their content embedded', () => {
    const map = { version: 3, sources: ['../src/index.ts'], sourcesContent: ['export {};'], mappings: '' };
    expect(checkSourceMap(map, 'dist/index.js.map')).toEqual([]);
  });

  it('rejects a source that climbs out of the package, such as a bundled shim from node_modules', () => {
    const map = {
      version: 3,
      sources: ['../../../node_modules/tsup/assets/cjs_shims.js', '../src/index.ts'],
      sourcesContent: ['', ''],
      mappings: '',
    };
    expect(checkSourceMap(map, 'dist/index.cjs.map')).toEqual([
      'dist/index.cjs.map: source ../../../node_modules/tsup/assets/cjs_shims.js resolves outside the package (../../node_modules/tsup/assets/cjs_shims.js)',
    ]);
  });

  it('accepts a labelled bundled source whose content is embedded', () => {
    const map = {
      version: 3,
      sources: ['bundled:tsup/assets/cjs_shims.js', '../src/index.ts'],
      sourcesContent: ['const x = 1;', 'export {};'],
      mappings: '',
    };
    expect(checkSourceMap(map, 'dist/index.cjs.map')).toEqual([]);
  });

  it('rejects absolute paths, file URLs and missing sourcesContent', () => {
    const map = {
      version: 3,
      sources: ['/work/main/packages/x/src/index.ts', 'file:///work/main/x.ts', '../src/a.ts'],
      mappings: '',
    };
    expect(checkSourceMap(map, 'dist/index.js.map')).toEqual([
      'dist/index.js.map: source "/work/main/packages/x/src/index.ts" is absolute',
      'dist/index.js.map: source "file:///work/main/x.ts" is absolute',
      'dist/index.js.map: sourcesContent does not embed every source (0/3)',
    ]);
  });
});
