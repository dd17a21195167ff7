// Validates Kubernetes objects of built-in kinds against the API's OpenAPI schemas
// (kubernetes-models: types, required fields, enums, formats), offline, and rejects
// fields the schemas do not have, as `kubectl --validate=strict` does. Reads a JSON array
// of objects on stdin; prints a JSON array of problems and exits 1 if any. Kinds it does
// not know (custom resources) are reported as `unknown`, for the caller to check by their
// known fields.
import { readFileSync } from "node:fs";

const cap = (text) => text[0].toUpperCase() + text.slice(1);

/**
 * The compiled schema validators of kubernetes-models accept unknown fields. They read
 * every field their schema has, though, so a field of the object they never read is one
 * the schema lacks: the object is validated through proxies that record what was read.
 * A node whose keys the validator enumerated is a map (labels, data, resources) and has
 * no unknown keys.
 */
function unknownFields(object, validate) {
  const nodes = new Map();
  const track = (value, path) => {
    if (value === null || typeof value !== "object") return value;
    const node = nodes.get(path) ?? { value, read: new Set(), enumerated: false };
    nodes.set(path, node);
    return new Proxy(value, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== "string" || !Object.hasOwn(target, key)) return child;
        node.read.add(key);
        return track(child, `${path}/${key}`);
      },
      has(target, key) {
        if (typeof key === "string") node.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        node.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
  };
  validate(track(object, ""));
  const unknown = [];
  for (const [path, node] of nodes) {
    if (node.enumerated || Array.isArray(node.value)) continue;
    for (const key of Object.keys(node.value)) {
      if (!node.read.has(key)) unknown.push(`${path}/${key}`);
    }
  }
  return unknown;
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const problems = [];
for (const object of objects) {
  const where = `${object.kind}/${object.metadata?.name}`;
  const [group, version] = object.apiVersion.includes("/")
    ? object.apiVersion.split("/")
    : ["core", object.apiVersion];
  const modelPath = group === "core"
    ? `kubernetes-models/${version}/${object.kind}`
    : `kubernetes-models/${group}/${version}/${object.kind}`;
  let Model, validate;
  try {
    Model = (await import(modelPath))[object.kind];
    const schema = `IoK8sApi${cap(group.split(".")[0])}${cap(version)}${object.kind}`;
    validate = (await import(`kubernetes-models/_schemas/${schema}`)).validate;
  } catch {
    problems.push({
      object: where,
      unknown: true,
      message: `no schema for ${object.apiVersion} ${object.kind}`,
    });
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push({ object: where, unknown: false, message: String(error.message ?? error) });
  }
  const unknown = unknownFields(object, validate);
  if (unknown.length) {
    problems.push({
      object: where,
      unknown: false,
      message: `unknown fields: ${unknown.join(", ")}`,
    });
  }
}
console.log(JSON.stringify(problems));
process.exitCode = problems.some((p) => !p.unknown) ? 1 : 0;
