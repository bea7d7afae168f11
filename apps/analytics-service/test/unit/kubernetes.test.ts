/**
 * The Kubernetes manifests of `deploy/kubernetes/` against the code: every environment variable
 * they set is one the service reads (found by running `loadConfig` of src/config.ts on the
 * manifests' environment and recording what it reads, so no list is copied here) and is valid;
 * the roles, the probe paths and the port are the ones the app serves; the grace period covers
 * the shutdown bound; every Deployment has resources and a PodDisruptionBudget.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseArgs } from '../../src/args.js';
import { loadConfig, type Role } from '../../src/config.js';
import { createHttpHandler, type HttpServer, startHttpServer } from '../../src/http.js';
import { Telemetry } from '../../src/Telemetry.js';
import { ROOT_DIR } from '../app.js';

const DIR = join(ROOT_DIR, 'deploy', 'kubernetes');

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are read loosely and checked field by field.
type K8s = any;

const objects: K8s[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return doc.toJS() as K8s;
    }),
  );
const byKind = (kind: string): K8s[] => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string): K8s => {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};
const deployments: K8s[] = byKind('Deployment');
const container = (deployment: K8s): K8s => deployment.spec.template.spec.containers[0];

/** The environment a Deployment's container gets: its ConfigMaps and Secrets, then `env`. */
function environmentOf(deployment: K8s): Record<string, string> {
  const env: Record<string, string> = {};
  const c = container(deployment);
  for (const source of c.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, named('ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) {
      const secret = named('Secret', source.secretRef.name);
      Object.assign(env, secret.stringData ?? {});
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        env[key] = Buffer.from(value as string, 'base64').toString('utf8');
      }
    }
  }
  for (const entry of c.env ?? []) env[entry.name] = String(entry.value);
  return env;
}

/** Runs loadConfig on `env` and returns the config and every variable it read. */
function load(env: Record<string, string>, role: Role) {
  const read = new Set<string>();
  const recorded = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  return { config: loadConfig(recorded, { role }), read };
}

function roleOf(deployment: K8s): Role {
  const command = parseArgs(container(deployment).args ?? []);
  if (command.kind !== 'run') throw new Error(`${deployment.metadata.name}: args are not a run command`);
  return command.role;
}

let server: HttpServer;
beforeAll(async () => {
  server = await startHttpServer(
    createHttpHandler({
      registry: new Telemetry().registry,
      readiness: () => ({ ready: false, reasons: [] }),
    }),
    { host: '127.0.0.1', port: 0 },
  );
});
afterAll(async () => {
  await server.close();
});

describe('Kubernetes manifests', () => {
  it('have one Deployment per role, aggregate and sink', () => {
    expect(deployments.map(roleOf).sort()).toEqual(['aggregate', 'sink']);
  });

  it('set only environment variables the service reads, with values it accepts', () => {
    for (const deployment of deployments) {
      const env = environmentOf(deployment);
      const { config, read } = load(env, roleOf(deployment));
      const unknown = Object.keys(env).filter((name) => !read.has(name));
      expect(unknown, deployment.metadata.name).toEqual([]);
      expect(config.mode).toBe('production');
      expect(Object.keys(env).length).toBeGreaterThan(20);
    }
  });

  it('would catch a variable the service does not read', () => {
    const env = { ...environmentOf(deployments[0]), KAFKA_BROKER: 'typo:9092' };
    expect(load(env, 'aggregate').read.has('KAFKA_BROKER')).toBe(false);
  });

  it('probe /healthz and /readyz on the port the service listens on, reachable from the kubelet', async () => {
    for (const deployment of deployments) {
      const c = container(deployment);
      const { config } = load(environmentOf(deployment), roleOf(deployment));
      const port = c.ports.find((p: K8s) => p.name === 'http');
      expect(port.containerPort).toBe(config.http.port);
      expect(config.http.host).toBe('0.0.0.0');
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      const template = deployment.spec.template.metadata.annotations;
      expect(template['prometheus.io/port']).toBe(String(config.http.port));
      expect(template['prometheus.io/path']).toBe('/metrics');
    }
    // The paths as the app's HTTP handler answers them: alive, and not ready (503, not 404).
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('give the graceful shutdown more time than its bound, and set resources', () => {
    for (const deployment of deployments) {
      const { config } = load(environmentOf(deployment), roleOf(deployment));
      const spec = deployment.spec.template.spec;
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.shutdownTimeoutMs);
      const { resources } = container(deployment);
      expect(resources.requests.cpu).toBeTruthy();
      expect(resources.requests.memory).toBeTruthy();
      expect(resources.limits.memory).toBeTruthy();
    }
  });

  it('cover each Deployment with a PodDisruptionBudget and the metrics Service with a ServiceMonitor', () => {
    const budgets = byKind('PodDisruptionBudget');
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      expect(deployment.spec.selector.matchLabels).toEqual(
        expect.objectContaining({ 'app.kubernetes.io/component': labels['app.kubernetes.io/component'] }),
      );
      const covering = budgets.filter((b) =>
        Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v),
      );
      expect(covering, deployment.metadata.name).toHaveLength(1);
    }
    const service = named('Service', 'analytics-service-metrics');
    const monitor = byKind('ServiceMonitor')[0];
    expect(monitor.spec.selector.matchLabels).toEqual(
      expect.objectContaining({
        'app.kubernetes.io/name': service.metadata.labels['app.kubernetes.io/name'],
      }),
    );
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('list every manifest in the kustomization', () => {
    const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]?.toJS();
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });
});
