import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Options } from './defaults.js';
import { javaCommand } from './maven.js';
import { choosePorts, LOOPBACK } from './ports.js';
import { type ManagedProcess, spawnServer } from './processes.js';
import { httpAnswers, waitUntilReady } from './readiness.js';

/** A running S3Proxy. */
export interface StartedS3 {
  endpoint: string;
  process: ManagedProcess;
  dir: string;
}

/** Renders S3Proxy's properties: transient (in-memory) blob store, AWS v2/v4 auth with the dummy keys. */
export function s3ProxyProperties(input: {
  port: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
}): string {
  const props: Record<string, string> = {
    's3proxy.endpoint': `http://${LOOPBACK}:${input.port}`,
    's3proxy.authorization': 'aws-v2-or-v4',
    's3proxy.identity': input.credentials.accessKeyId,
    's3proxy.credential': input.credentials.secretAccessKey,
    'jclouds.provider': 'transient',
    'jclouds.identity': input.credentials.accessKeyId,
    'jclouds.credential': input.credentials.secretAccessKey,
  };
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

// Without a configuration logback logs everything at DEBUG (Jetty internals included).
const LOGBACK_XML = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.gaul.shaded" level="WARN"/>
  <logger name="org.eclipse.jetty" level="WARN"/>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`;

/** Starts S3Proxy; resolves once it answers HTTP. */
export async function startS3(input: {
  classpath: string;
  dir: string;
  options: Required<S3Options>;
  credentials: { accessKeyId: string; secretAccessKey: string };
  detached: boolean;
  progress: (message: string) => void;
}): Promise<StartedS3> {
  const [port] = (await choosePorts([input.options.port])) as [number];
  const logFile = join(input.dir, 's3proxy.log');
  const propsFile = join(input.dir, 's3proxy.properties');
  writeFileSync(propsFile, s3ProxyProperties({ port, credentials: input.credentials }));
  const logbackFile = join(input.dir, 'logback.xml');
  writeFileSync(logbackFile, LOGBACK_XML);
  const endpoint = `http://${LOOPBACK}:${port}`;
  input.progress(`s3: starting S3Proxy on ${endpoint} (log ${logFile})`);
  const proc = spawnServer({
    component: 's3',
    command: javaCommand(),
    args: [
      `-Xmx${input.options.heapMb}m`,
      '-Xms32m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlogback.configurationFile=${logbackFile}`,
      '-cp',
      input.classpath,
      'org.gaul.s3proxy.Main',
      '--properties',
      propsFile,
    ],
    cwd: input.dir,
    logFile,
    detached: input.detached,
  });
  try {
    await waitUntilReady(proc, () => httpAnswers(`${endpoint}/`), input.options.startTimeoutMs);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { endpoint, process: proc, dir: input.dir };
}
