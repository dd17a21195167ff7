// Validates Kubernetes objects of built-in kinds against the API's OpenAPI schemas
// (kubernetes-models: types, required fields, enums, formats), offline. Reads a JSON
// array of objects on stdin; prints a JSON array of problems and exits 1 if any.
// Kinds it does not know (custom resources) are reported as `unknown`, for the
// caller to check by their known fields.
import { readFileSync } from "node:fs";

const objects = JSON.parse(readFileSync(0, "utf8"));
const problems = [];
for (const object of objects) {
  const where = `${object.kind}/${object.metadata?.name}`;
  const [group, version] = object.apiVersion.includes("/")
    ? object.apiVersion.split("/")
    : [null, object.apiVersion];
  const path = group
    ? `kubernetes-models/${group}/${version}/${object.kind}`
    : `kubernetes-models/${version}/${object.kind}`;
  let Model;
  try {
    Model = (await import(path))[object.kind];
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
}
console.log(JSON.stringify(problems));
process.exitCode = problems.some((p) => !p.unknown) ? 1 : 0;
