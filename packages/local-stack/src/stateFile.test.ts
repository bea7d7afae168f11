import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  liveProcesses,
  parseState,
  readState,
  removeState,
  type StackState,
  stateDir,
  stateFilePath,
  writeState,
} from './stateFile.js';

const state: StackState = {
  version: 1,
  startedAt: '2026-11-25T10:00:00.000Z',
  dir: '/tmp/local-stack-x',
  endpoints: {
    kafkaBrokers: ['127.0.0.1:9092'],
    dynamodbEndpoint: 'http://127.0.0.1:1',
    s3Endpoint: 'http://127.0.0.1:2',
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  },
  processes: [{ component: 'kafka', pid: process.pid, logFile: '/tmp/k.log' }],
};

describe('state file', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'state-test-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lives in .local-stack at the workspace root found above the working directory', () => {
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
    mkdirSync(join(root, 'packages', 'a'), { recursive: true });

    expect(stateDir(join(root, 'packages', 'a'), {})).toBe(join(root, '.local-stack'));
  });

  it('honours LOCAL_STACK_STATE_DIR', () => {
    expect(stateDir(root, { LOCAL_STACK_STATE_DIR: join(root, 'custom') })).toBe(join(root, 'custom'));
  });

  it('falls back to the OS temp folder outside a workspace', () => {
    expect(stateDir('/', {})).toBe(join(tmpdir(), 'local-stack'));
  });

  it('writes, reads back and removes the state', () => {
    const dir = join(root, 'state');

    expect(readState(dir)).toBeUndefined();
    expect(writeState(dir, state)).toBe(stateFilePath(dir));
    expect(readState(dir)).toEqual(state);
    removeState(dir);
    expect(readState(dir)).toBeUndefined();
  });

  it.each([
    ['not json', '{'],
    ['another version', JSON.stringify({ ...state, version: 2 })],
    ['a bad pid', JSON.stringify({ ...state, processes: [{ component: 'kafka', pid: -4, logFile: 'x' }] })],
    ['missing endpoints', JSON.stringify({ ...state, endpoints: { kafkaBrokers: [] } })],
  ])('rejects a state file with %s', (_, text) => {
    expect(() => parseState(text)).toThrow(expect.objectContaining({ code: 'STATE_FILE_INVALID' }));
  });

  it('reports only the recorded processes that are still alive', () => {
    const withDead: StackState = {
      ...state,
      processes: [...state.processes, { component: 's3', pid: 2 ** 22 + 17, logFile: '/tmp/s.log' }],
    };

    expect(liveProcesses(withDead).map((p) => p.component)).toEqual(['kafka']);
  });
});
