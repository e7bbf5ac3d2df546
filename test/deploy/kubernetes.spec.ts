import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

import { Project } from 'ts-morph';
import { parseAllDocuments } from 'yaml';

import { SETTINGS } from 'src/config/config.schema.js';

// k8s/ is a Kustomize base with overlays. Each is rendered with `kubectl
// kustomize` and every object is validated against the Kubernetes v1.36.0 API
// schemas that kubernetes-models 5 carries (the Prometheus Operator's for the
// ServiceMonitor), then checked for what running Baton needs.
const KUBERNETES_VERSION = '1.36.0';
// API versions Kubernetes 1.36 serves (kubernetes-models also keeps schemas of removed ones).
const SERVED_API_VERSIONS = ['v1', 'apps/v1', 'batch/v1', 'policy/v1', 'autoscaling/v2', 'networking.k8s.io/v1', 'monitoring.coreos.com/v1'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  volumes?: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
}
interface Workload extends K8sObject {
  spec: { replicas?: number; selector?: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const OVERLAYS = ['base', ...readdirSync('k8s/overlays').map((name) => `overlays/${name}`)];

function render(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', `k8s/${dir}`], { encoding: 'utf8' });
  if (result.error) throw new Error(`kubectl is needed to render k8s/${dir} (${result.error.message}); install kubectl, which bundles Kustomize`);
  if (result.status !== 0) throw new Error(`kubectl kustomize k8s/${dir} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8sObject);
}

function modelModule(object: K8sObject): string {
  return object.apiVersion.startsWith('monitoring.coreos.com/') ? `@kubernetes-models/prometheus-operator/${object.apiVersion}` : `kubernetes-models/${object.apiVersion}`;
}

async function validate(object: K8sObject): Promise<void> {
  const module = modelModule(object);
  const models = (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = models[object.kind];
  if (Model === undefined) throw new Error(`${object.apiVersion} ${object.kind} is not a Kubernetes ${KUBERNETES_VERSION} kind`);
  new Model(object).validate();
}

const find = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(OVERLAYS)('k8s/%s', (dir) => {
  const objects = render(dir);
  const serve = find<Workload>(objects, 'Deployment', 'baton-serve')!;
  const worker = find<Workload>(objects, 'Deployment', 'baton-worker')!;
  const migrate = find<K8sObject & { spec: { template: Workload['spec']['template'] } }>(objects, 'Job', 'baton-migrate')!;
  const pods = [serve, worker, migrate].map((w) => w.spec.template);

  it(`validates every object against the Kubernetes ${KUBERNETES_VERSION} schemas, on API versions that release serves`, async () => {
    expect(objects.length).toBeGreaterThanOrEqual(9);
    for (const object of objects) {
      expect([object.kind, SERVED_API_VERSIONS.includes(object.apiVersion)]).toEqual([object.kind, true]);
      await validate(object);
    }
  });

  it('the schema check rejects a wrong type', async () => {
    const broken = structuredClone(serve) as unknown as { spec: { replicas: unknown } } & K8sObject;
    broken.spec.replicas = 'two';
    await expect(validate(broken)).rejects.toThrow(/replicas must be integer/);
  });

  it('runs serve (2+ replicas), worker and the migration job from the baton image', () => {
    expect(serve.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(worker).toBeDefined();
    expect(pods.map((p) => p.spec.containers[0].args)).toEqual([['serve'], ['worker'], ['migrate']]);
    const images = new Set(pods.map((p) => p.spec.containers[0].image));
    expect(images.size).toBe(1);
    if (dir !== 'base') expect([...images][0]).toMatch(/:\d+\.\d+\.\d+$/);
  });

  it('probes serve on /health/live and /health/ready through its named port', () => {
    const container = serve.spec.template.spec.containers[0];
    expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(container.ports?.map((p) => p.name)).toContain(container.readinessProbe?.httpGet?.port);
  });

  it('gives every container requests and limits and a non-root, read-only, unprivileged security context', () => {
    for (const pod of pods) {
      expect(pod.spec.securityContext?.runAsNonRoot).toBe(true);
      for (const container of pod.spec.containers) {
        expect(Object.keys(container.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(container.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  it('hands secrets over as files: every *_FILE path is a key of the mounted Secret', () => {
    const secret = objects.find((o) => o.kind === 'Secret') as K8sObject & { stringData: Record<string, string> };
    for (const pod of pods) {
      const container = pod.spec.containers[0];
      const files = (container.env ?? []).filter((e) => e.name.endsWith('_FILE'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const mount = container.volumeMounts?.find((m) => file.value!.startsWith(`${m.mountPath}/`));
        const volume = pod.spec.volumes?.find((v) => v.name === mount?.name);
        expect(volume?.secret?.secretName).toBe(secret.metadata.name);
        const item = volume?.secret?.items?.find((i) => `${mount!.mountPath}/${i.path}` === file.value);
        expect([file.name, item !== undefined && item.key in secret.stringData]).toEqual([file.name, true]);
      }
    }
  });

  it('configures only settings Baton knows', () => {
    const known = new Set(SETTINGS.flatMap((s) => [s.env, `${s.env}_FILE`]));
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as K8sObject & { data: Record<string, string> };
    const variables = [...Object.keys(configMap.data), ...pods.flatMap((p) => (p.spec.containers[0].env ?? []).map((e) => e.name))];
    for (const variable of variables) expect([variable, known.has(variable) || variable.startsWith('OTEL_')]).toEqual([variable, true]);
    for (const pod of pods) expect(pod.spec.containers[0].envFrom?.[0]?.configMapRef?.name).toBe(configMap.metadata.name);
    // The migration Job changes the schema; serve and worker only check it.
    expect(configMap.data.BATON_AUTO_MIGRATE).toBe('false');
  });

  it('points the Service, autoscaler, disruption budget and network policy at serve', () => {
    const labels = serve.spec.template.metadata.labels;
    expect(matches(serve.spec.selector!.matchLabels, labels)).toBe(true);
    const service = objects.find((o) => o.kind === 'Service') as K8sObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } };
    expect(matches(service.spec.selector, labels)).toBe(true);
    expect(matches(service.spec.selector, worker.spec.template.metadata.labels)).toBe(false);
    const portNames = serve.spec.template.spec.containers[0].ports!.map((p) => p.name);
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number } };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: serve.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } };
    expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy') as K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: number }[] }[] } };
    for (const pod of pods) expect(matches(policy.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(true);
    const containerPorts = serve.spec.template.spec.containers[0].ports!.map((p) => p.containerPort);
    expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual(containerPorts);
  });
});

describe('k8s/overlays/monitoring', () => {
  it('adds a ServiceMonitor scraping /metrics on the Service port of serve', () => {
    const objects = render('overlays/monitoring');
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
    const service = objects.find((o) => o.kind === 'Service') as K8sObject & { spec: { ports: { name: string }[] } };
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: service.spec.ports[0].name, path: '/metrics' })]);
    expect(monitor.metadata.namespace).toBe(service.metadata.namespace);
  });
});

// The JSON schemas allow unknown fields, as the API server's non-strict mode
// does; a misspelt field would be silently dropped by the cluster. Typing every
// object against kubernetes-models' TypeScript interfaces finds them, like a
// strict validator would.
describe('k8s/ field names', () => {
  it('uses only fields the Kubernetes API defines, in every overlay', () => {
    const objects = OVERLAYS.flatMap((dir) => render(dir).map((object) => ({ dir, object })));
    const misspelt = structuredClone(objects.find(({ object }) => object.kind === 'Deployment')!);
    (misspelt.object as unknown as { spec: { replicaz: number } }).spec.replicaz = 2;
    const all = [...objects, { dir: 'deliberately misspelt', object: misspelt.object }];
    const project = new Project({ tsConfigFilePath: 'tsconfig.json', skipAddingFilesFromTsConfig: true });
    const source = all.map(({ object }, i) => `import type { I${object.kind} as T${i} } from '${modelModule(object)}/${object.kind}';\nexport const o${i}: T${i} = ${JSON.stringify(object)};`).join('\n');
    const file = project.createSourceFile('test/deploy/rendered-manifests.ts', source, { overwrite: true });
    const problems = file.getPreEmitDiagnostics().map((d) => {
      const { dir, object } = all[Math.floor((d.getLineNumber()! - 1) / 2)];
      const text = d.getMessageText();
      return `${dir} ${object.kind} ${object.metadata.name}: ${typeof text === 'string' ? text : text.getMessageText()}`;
    });
    expect(problems).toEqual([`deliberately misspelt Deployment baton-serve: Object literal may only specify known properties, and '"replicaz"' does not exist in type 'IDeploymentSpec'.`]);
  }, 120_000);
});
