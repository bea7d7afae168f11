import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from './report.js';

/**
 * Compiles a bench reference's Maven project and returns its run-time classpath (its classes
 * first). The first build of a project (no `target/classpath.txt` yet) resolves its artifacts
 * from Maven Central into `~/.m2`: that one runs without `-q` so each download shows on stderr.
 *
 * @param dir - the Maven project (its `pom.xml`)
 * @param label - what the progress lines call it
 * @throws Error when `mvn` fails (its output is on stderr)
 */
export function buildMavenProject(dir: string, label: string): string {
  const classpathFile = join(dir, 'target', 'classpath.txt');
  const first = !existsSync(classpathFile);
  progress(
    first
      ? `${label}: first build, resolving its artifacts from Maven Central (mvn, downloads listed below)`
      : `${label}: building (mvn)`,
  );
  execFileSync(
    'mvn',
    [
      ...(first ? [] : ['-q']),
      '-B',
      '-Dstyle.color=never',
      'compile',
      'dependency:build-classpath',
      `-Dmdep.outputFile=${classpathFile}`,
    ],
    // Maven's own output goes to stderr too, so stdout stays the table.
    { cwd: dir, stdio: ['ignore', process.stderr, 'inherit'] },
  );
  return `${join(dir, 'target', 'classes')}:${readFileSync(classpathFile, 'utf8').trim()}`;
}
