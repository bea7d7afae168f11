/**
 * The IAM policies under infra/iam and the README's IAM table name exactly the AWS calls the
 * code makes: the calls are derived here from the sources, not listed by hand.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const APP_README = join(ROOT_DIR, 'apps', 'analytics-service', 'README.md');

/** Who makes a call; decides the policy that must grant it. */
type Role = 'sink' | 'reader' | 'admin';

/**
 * Files whose AWS calls are not made by the running sink stage. Everything else that sends an
 * AWS command is the service at run time (roles `sink`/`all`): a new call anywhere else has to
 * be granted by the sink policy, or be placed here with a reason.
 */
const ROLE_BY_FILE: Readonly<Record<string, Role>> = {
  // ensureMetricsTable: provisioning (infrastructure template, demo, tests)
  'packages/dynamodb-sink/src/metricsTable.ts': 'admin',
  // the demo creates its bucket
  'apps/analytics-service/src/Demo.ts': 'admin',
  // MetricsReader: the `metrics` command and sibling services reading metrics
  'packages/dynamodb-sink/src/MetricsReader.ts': 'reader',
  // readArchive: services reading the archive
  'packages/s3-sink/src/readArchive.ts': 'reader',
};

const POLICY_OF_ROLE: Readonly<Record<Role, string>> = {
  sink: 'analytics-service-sink-policy.json',
  reader: 'analytics-reader-policy.json',
  admin: 'analytics-admin-policy.json',
};

const SDK_SERVICE: Readonly<Record<string, 'dynamodb' | 's3'>> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-s3': 's3',
};

/** `Upload` of lib-storage sends one PutObject, or a multipart upload it aborts on failure. */
const UPLOAD_CALLS = [
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
];

/** API calls authorised by an IAM action of another name; every other call is `<service>:<call>`. */
const IAM_ACTION_OF_CALL: Readonly<Record<string, string>> = {
  's3:HeadBucket': 's3:ListBucket',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:CreateMultipartUpload': 's3:PutObject',
  's3:UploadPart': 's3:PutObject',
  's3:CompleteMultipartUpload': 's3:PutObject',
  's3:DeleteObjects': 's3:DeleteObject',
};

interface Call {
  file: string;
  service: 'dynamodb' | 's3';
  /** API name, e.g. `PutItem`. */
  name: string;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

/** Source text without comments (JSDoc examples name commands the code never sends). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every AWS call of `packages/*\/src` and `apps/*\/src`. */
function awsCalls(): Call[] {
  const calls: Call[] = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(ROOT_DIR, group))) {
      const src = join(ROOT_DIR, group, name, 'src');
      if (!statSync(join(ROOT_DIR, group, name)).isDirectory()) continue;
      let files: string[];
      try {
        files = sourceFiles(src);
      } catch {
        continue;
      }
      for (const path of files) {
        const file = relative(ROOT_DIR, path).split('\\').join('/');
        const text = withoutComments(readFileSync(path, 'utf8'));
        const importedFrom = new Map<string, string>();
        for (const match of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
          for (const spec of (match[1] ?? '').split(',')) {
            const local = spec
              .trim()
              .split(/\s+as\s+/)
              .pop()
              ?.replace(/^type\s+/, '');
            if (local) importedFrom.set(local, match[2] ?? '');
          }
        }
        for (const match of text.matchAll(/new\s+([A-Za-z0-9_]+)\s*\(/g)) {
          const identifier = match[1] ?? '';
          const from = importedFrom.get(identifier) ?? '';
          const service = SDK_SERVICE[from];
          if (service !== undefined && identifier.endsWith('Command')) {
            calls.push({ file, service, name: identifier.slice(0, -'Command'.length) });
          } else if (from === '@aws-sdk/lib-storage' && identifier === 'Upload') {
            for (const name of UPLOAD_CALLS) calls.push({ file, service: 's3', name });
          }
        }
      }
    }
  }
  return calls;
}

const roleOf = (call: Call): Role => ROLE_BY_FILE[call.file] ?? 'sink';
const iamAction = (call: Call): string =>
  IAM_ACTION_OF_CALL[`${call.service}:${call.name}`] ?? `${call.service}:${call.name}`;
const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

interface PolicyDocument {
  Version: string;
  Statement: Array<{ Effect: string; Action: string | string[]; Resource: string | string[] }>;
}

function policy(role: Role): PolicyDocument {
  return JSON.parse(
    readFileSync(join(ROOT_DIR, 'infra', 'iam', POLICY_OF_ROLE[role]), 'utf8'),
  ) as PolicyDocument;
}

const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** The README row of a policy file: its API-call and IAM-action cells, as backticked names. */
function readmeRow(role: Role): { calls: string[]; actions: string[] } {
  const readme = readFileSync(APP_README, 'utf8');
  const row = readme.split('\n').find((line) => line.startsWith('|') && line.includes(POLICY_OF_ROLE[role]));
  if (row === undefined) throw new Error(`no row for ${POLICY_OF_ROLE[role]} in ${APP_README}`);
  const cells = row.split('|').map((cell) => cell.trim());
  const names = (cell: string | undefined) => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
  return { calls: sorted(names(cells[3])), actions: sorted(names(cells[4])) };
}

const calls = awsCalls();
const ROLES: Role[] = ['sink', 'reader', 'admin'];

describe('IAM policies (infra/iam) against the AWS calls in the code', () => {
  it('finds the calls of every layer (the scan itself works)', () => {
    const names = sorted(calls.map((call) => `${call.service}:${call.name}`));

    expect(names).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:CreateTable',
        's3:PutObject',
        's3:AbortMultipartUpload',
        's3:HeadBucket',
      ]),
    );
    // Named only in a JSDoc example of @marketplace/retry: comments are not code.
    expect(names).not.toContain('dynamodb:GetItem');
    for (const file of Object.keys(ROLE_BY_FILE)) {
      expect(calls.some((call) => call.file === file)).toBe(true);
    }
  });

  it.each(ROLES)('grants the %s role exactly the IAM actions of its calls', (role) => {
    const expected = sorted(calls.filter((call) => roleOf(call) === role).map(iamAction));
    const document = policy(role);

    const granted = sorted(document.Statement.flatMap((statement) => asList(statement.Action)));

    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement.every((statement) => statement.Effect === 'Allow')).toBe(true);
    expect(granted).toEqual(expected);
  });

  it('keeps provisioning calls out of the runtime policy', () => {
    const runtime = sorted(policy('sink').Statement.flatMap((statement) => asList(statement.Action)));

    for (const action of ['dynamodb:CreateTable', 'dynamodb:UpdateTimeToLive', 's3:CreateBucket']) {
      expect(runtime).not.toContain(action);
    }
  });

  it('names resources through documented placeholders only (no account, table or bucket)', () => {
    const documented = readFileSync(join(ROOT_DIR, 'infra', 'iam', 'README.md'), 'utf8');
    for (const role of ROLES) {
      for (const resource of policy(role).Statement.flatMap((statement) => asList(statement.Resource))) {
        expect(resource).toMatch(/^arn:aws:(dynamodb|s3):/);
        expect(resource).not.toMatch(/\d{12}/);
        expect(resource).not.toContain('*:*');
        const placeholders = [...resource.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[0]);
        expect(placeholders.length).toBeGreaterThan(0);
        for (const placeholder of placeholders) expect(documented).toContain(`\`${placeholder}\``);
      }
    }
  });
});

describe('IAM table of apps/analytics-service/README.md', () => {
  it.each(ROLES)('lists exactly the calls and IAM actions of the %s role', (role) => {
    const mine = calls.filter((call) => roleOf(call) === role);

    const row = readmeRow(role);

    expect(row.calls).toEqual(sorted(mine.map((call) => call.name)));
    expect(row.actions).toEqual(sorted(mine.map(iamAction)));
  });
});
