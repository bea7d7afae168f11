// Pure checks of a published package: its file list, its manifest and its source maps.
// Each returns a list of problems (strings); empty means fine.
import { isAbsolute, posix } from 'node:path';

const ALWAYS_ALLOWED = new Set(['package.json', 'README.md', 'LICENSE']);
const TEST_FILE =
  /(^|\/)(__tests__|__mocks__|test|tests|fixtures)\/|\.(test|spec|int\.test|bench)\.[cm]?[jt]sx?(\.map)?$/;
const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];

/**
 * Checks the paths of a tarball (as `tar -tzf` lists them, `package/` prefix included):
 * only `dist/`, README.md, LICENSE, package.json and the extra directories the manifest lists in
 * `files` (e.g. `schema`); no test files anywhere; README.md and LICENSE present.
 */
export function checkTarballFiles(entries, manifest) {
  const problems = [];
  const files = entries.filter((entry) => !entry.endsWith('/'));
  const extraDirs = new Set(
    (manifest.files ?? [])
      .map((pattern) => pattern.replace(/^\.\//, '').replace(/\/.*$/, ''))
      .filter((dir) => dir !== 'dist' && !ALWAYS_ALLOWED.has(dir)),
  );
  const relative = [];
  for (const entry of files) {
    if (!entry.startsWith('package/')) {
      problems.push(`unexpected top-level entry ${entry}`);
      continue;
    }
    relative.push(entry.slice('package/'.length));
  }
  for (const file of relative) {
    const top = file.split('/')[0];
    if (file.includes('/')) {
      if (top !== 'dist' && !extraDirs.has(top))
        problems.push(`${file} is outside dist/ and the declared files`);
    } else if (!ALWAYS_ALLOWED.has(file) && !extraDirs.has(file)) {
      problems.push(`${file} is not one of dist/, README.md, LICENSE, package.json`);
    }
    if (TEST_FILE.test(file)) problems.push(`${file} looks like a test file`);
  }
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!relative.includes(required)) problems.push(`${required} is missing`);
  }
  if (!relative.some((file) => file.startsWith('dist/'))) problems.push('dist/ is missing');
  return problems;
}

/** Every file that `exports`, `main`, `module` and `types` name, as package-relative paths. */
export function manifestTargets(manifest) {
  const targets = new Set();
  const walk = (value) => {
    if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
  };
  walk(manifest.exports);
  for (const field of ['main', 'module', 'types']) if (manifest[field]) walk(manifest[field]);
  return [...targets].filter((target) => !target.includes('*'));
}

/**
 * Checks the published manifest: no `workspace:` (or other local) protocol left in any
 * dependency field, the expected name and version, and every entry point present in the tarball.
 */
export function checkManifest(manifest, { name, version, files }) {
  const problems = [];
  if (manifest.name !== name) problems.push(`name is ${manifest.name}, expected ${name}`);
  if (manifest.version !== version) problems.push(`version is ${manifest.version}, expected ${version}`);
  if (manifest.private) problems.push('is private');
  for (const field of DEPENDENCY_FIELDS) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|link|file|portal|catalog):/.test(String(range))) {
        problems.push(`${field}.${dependency} is "${range}"`);
      }
    }
  }
  const present = new Set(
    files.filter((entry) => entry.startsWith('package/')).map((entry) => entry.slice(8)),
  );
  for (const target of manifestTargets(manifest)) {
    if (!present.has(target)) problems.push(`entry point ${target} is not in the tarball`);
  }
  return problems;
}

/**
 * Checks one source map (`map` parsed, `mapPath` relative to the package root): every source
 * is either a path that resolves inside the package root (so no path into the monorepo or its
 * node_modules leaks) or a label with a scheme for bundled code (`bundled:tsup/assets/...`),
 * and every source is embedded (`sourcesContent`, one string per source), so the map is
 * complete without `src/`, which is not published.
 */
export function checkSourceMap(map, mapPath) {
  const problems = [];
  const sources = Array.isArray(map.sources) ? map.sources : [];
  const base = posix.dirname(mapPath);
  for (const source of sources) {
    if (typeof source !== 'string' || isAbsolute(source) || /^file:/i.test(source)) {
      problems.push(`${mapPath}: source ${JSON.stringify(source)} is absolute`);
      continue;
    }
    // A label with a scheme (`webpack://...`, `bundled:...`) names bundled code, not a file.
    if (/^[a-z][a-z0-9+.-]*:/i.test(source)) continue;
    const resolved = posix.normalize(posix.join(base, map.sourceRoot ?? '', source));
    if (resolved === '..' || resolved.startsWith('../')) {
      problems.push(`${mapPath}: source ${source} resolves outside the package (${resolved})`);
    }
  }
  const contents = Array.isArray(map.sourcesContent) ? map.sourcesContent : [];
  if (contents.length !== sources.length || contents.some((content) => typeof content !== 'string')) {
    problems.push(
      `${mapPath}: sourcesContent does not embed every source (${contents.length}/${sources.length})`,
    );
  }
  return problems;
}
