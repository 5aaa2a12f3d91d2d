/**
 * The fake's instance state, and how it is rendered with Novita v1's exact field types: numbers that
 * Novita sends as strings are strings here, timestamps are Unix seconds as strings, `"0"` for never.
 */

/** What a test gives to seed one instance. Everything but the id is optional. */
export interface FakeInstanceSeed {
  /** Instance id. @default 16 random lowercase hex characters */
  id?: string;
  /** @default `instance-<n>` */
  name?: string;
  /** Any status string, unknown ones included. @default 'running' */
  status?: string;
  /** @default '4090.16c62g' */
  productId?: string;
  /** @default 'RTX 4090 24GB' */
  productName?: string;
  /** @default 'us-ca-6' */
  clusterId?: string;
  /** @default 'docker.io/library/python:3.11' */
  imageUrl?: string;
  /** @default 'gpu' */
  kind?: 'gpu' | 'cpu';
  /** @default 1 */
  gpuNum?: number;
  /** @default 60 */
  rootfsSize?: number;
  /** `onDemand`, `monthly`, `spot` or `""` (as real responses carry). @default 'onDemand' */
  billingMode?: string;
  /** Creation time, epoch milliseconds. @default the fake's clock at seeding */
  createdAtMs?: number;
  /** Last start, epoch milliseconds; absent means never (sent as `"0"`). @default createdAtMs + 60 s when running */
  lastStartedAtMs?: number;
  /** Last stop, epoch milliseconds; absent means never (sent as `"0"`). */
  lastStoppedAtMs?: number;
  /** Environment variables (their values are credentials the client must redact). @default [] */
  envs?: Array<{ key: string; value: string }>;
  /** The SSH password the get-one response carries. @default a random string */
  sshPassword?: string;
  /** Extra fields merged into every rendering of this instance (to imitate new or odd fields). */
  extra?: Record<string, unknown>;
  /**
   * Extra fields merged into the listing's item only; get-one leaves them out. `{ createdAt: '0' }`
   * imitates a listing without the creation time that get-one still gives.
   */
  listExtra?: Record<string, unknown>;
}

/** A status change the fake's clock will apply. */
export interface FakeTransition {
  status: string;
  atMs: number;
}

/** The fake's state of one instance. */
export interface FakeInstanceState {
  id: string;
  name: string;
  status: string;
  productId: string;
  productName: string;
  clusterId: string;
  imageUrl: string;
  kind: 'gpu' | 'cpu';
  gpuNum: number;
  rootfsSize: number;
  billingMode: string;
  createdAtMs: number;
  lastStartedAtMs: number | undefined;
  lastStoppedAtMs: number | undefined;
  envs: Array<{ key: string; value: string }>;
  sshPassword: string;
  extra: Record<string, unknown>;
  listExtra: Record<string, unknown>;
  /** Status changes still to come, in time order. */
  transitions: FakeTransition[];
  /** When the instance disappears from list and get altogether. */
  goneAtMs: number | undefined;
}

/**
 * How the fake writes the fields Novita has been seen to send in more than one way (see
 * `FakeNovitaOptions.numbers` and `emptyEnumStrings`).
 */
export interface FakeRenderStyle {
  /** `'strings'`: counts and Unix seconds as strings (`"16"`, `"1727430000"`), as the reference shows; `'numbers'`: as JSON numbers. */
  numbers: 'strings' | 'numbers';
  /** `billingMode` sent as `""` whatever the seed says (`spotStatus` is `""` either way). */
  emptyEnumStrings: boolean;
}

const REFERENCE_STYLE: FakeRenderStyle = { numbers: 'strings', emptyEnumStrings: false };

/** Renders an instance the way Novita's list endpoint does. */
export function renderListItem(instance: FakeInstanceState, style: FakeRenderStyle = REFERENCE_STYLE): Record<string, unknown> {
  return { ...renderItem(instance, style), ...instance.listExtra };
}

/** The fields the list item and get-one share. */
function renderItem(instance: FakeInstanceState, style: FakeRenderStyle): Record<string, unknown> {
  const cpuNum = instance.kind === 'cpu' ? 4 : 16 * Math.max(1, instance.gpuNum);
  const asText = style.numbers === 'strings';
  const count = (value: number): string | number => (asText ? String(value) : value);
  // Unix seconds, `0` for never: Novita v1's timestamp encoding.
  const seconds = (ms: number | undefined): string | number => count(ms === undefined ? 0 : Math.floor(ms / 1000));
  return {
    id: instance.id,
    name: instance.name,
    clusterId: instance.clusterId,
    clusterName: instance.clusterId.toUpperCase(),
    status: instance.status,
    imageUrl: instance.imageUrl,
    imageAuthId: '',
    command: '',
    entrypoint: '',
    cpuNum: count(cpuNum),
    memory: count(cpuNum * 4 - 2),
    gpuNum: count(instance.gpuNum),
    portMappings: [{ port: 8888, type: 'http', endpoint: `https://${instance.id}-8888.proxy.fake` }],
    productId: instance.productId,
    productName: instance.productName,
    rootfsSize: instance.rootfsSize,
    volumeMounts: [],
    statusError: { state: '', message: '' },
    envs: instance.envs.map((env) => ({ key: env.key, value: env.value })),
    kind: instance.kind,
    billingMode: style.emptyEnumStrings ? '' : instance.billingMode,
    endTime: count(-1),
    spotStatus: '',
    spotReclaimTime: count(0),
    createdAt: seconds(instance.createdAtMs),
    lastStartedAt: seconds(instance.lastStartedAtMs),
    lastStoppedAt: seconds(instance.lastStoppedAtMs),
    ...instance.extra,
  };
}

/** Renders an instance the way Novita's get-one endpoint does: the list item plus detail and credentials. */
export function renderDetail(instance: FakeInstanceState, style: FakeRenderStyle = REFERENCE_STYLE): Record<string, unknown> {
  const running = instance.status === 'running';
  return {
    ...renderItem(instance, style),
    network: { id: `net-${instance.id.slice(0, 6)}`, ip: '10.12.0.7' },
    node: [{ maxRootfsSize: 500 }],
    jobs: [],
    connectComponentSSH: { sshCommand: `ssh root@ssh.fake -p 31022`, password: instance.sshPassword, isRunning: running },
    connectComponentWebTerminal: {
      address: `https://term.fake/${instance.id}`,
      username: 'root',
      password: `${instance.sshPassword}-web`,
      isRunning: running,
    },
    connectComponentJupyter: { port: 8888, address: `https://${instance.id}-8888.proxy.fake`, isRunning: running },
    connectComponentLog: {
      systemLogAddress: `https://logs.fake/sys/${instance.id}`,
      instanceLogAddress: `https://logs.fake/inst/${instance.id}`,
      isRunning: true,
    },
    freeStorageSize: 41,
    keepDataDay: 7,
    ...instance.extra,
  };
}

/** A Novita instance as the fake renders it: Novita v1's list item (field types as Novita sends them). */
export type FakeNovitaInstance = Record<string, unknown> & { id: string; status: string };
