/**
 * Hostile values for the route walk, and requests built from a route's schemas:
 * a best-effort valid body (so a bad value is often the only thing wrong) and
 * the pointer of every field in it.
 */
import { z } from "zod";

// deno-lint-ignore no-explicit-any
type Json = any;

/** A hostile value: as raw JSON text (so `\ud800` survives) and as a URL component. */
export interface BadValue {
  name: string;
  json: string;
  url: string;
  /** Breaks the text rule: must be a 400 naming the field. */
  text: boolean;
}

const DEPTH = 2_000;

/** A value's first characters, for messages (a 100k-character case would flood them). */
export const clip = (text: string, max = 120) =>
  text.length > max ? `${text.slice(0, max)}…(${text.length})` : text;

/** The values every field gets. */
export const BAD_VALUES: readonly BadValue[] = [
  { name: "NUL", json: '"a\\u0000b"', url: "a%00b", text: true },
  { name: "lone surrogate", json: '"\\ud800"', url: "%ED%A0%80", text: true },
  { name: "C1 control", json: '"x\\u0085y"', url: "x%C2%85y", text: true },
  {
    name: "100k characters",
    json: JSON.stringify("a".repeat(100_000)),
    // Deno's HTTP client (the `http` crate) refuses a URI over 65,534 bytes.
    url: "a".repeat(60_000),
    text: false,
  },
  { name: "1e308", json: "1e308", url: "1e308", text: false },
  { name: "-1", json: "-1", url: "-1", text: false },
  { name: "2^53+1", json: "9007199254740993", url: "9007199254740993", text: false },
  { name: "null", json: "null", url: "null", text: false },
  { name: "array for an object", json: '[{"a":1}]', url: "%5B%5D", text: false },
  { name: "object", json: '{"a":[1]}', url: "%7B%7D", text: false },
  {
    name: "deep nesting",
    json: `${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`,
    url: "%5B".repeat(DEPTH),
    text: false,
  },
];

// Plausible values for fields whose rule a JSON schema cannot show (refinements).
const HINTS: [RegExp, Json][] = [
  [/^subcategory$/, "logo-design"],
  [/^category$/, "graphics-design"],
  [/currency/i, "USD"],
  [/country/i, "DE"],
  [/^language$|^languages$/, "en"],
  [/zone/i, "Europe/Berlin"],
  [/url$|^images$|^files$/i, "https://images.example.com/a.png"],
  [/^contentType$/, "image/png"],
  [/password/i, "correct horse battery"],
  [/^tier$/, "basic"],
  [/^level$/, "native"],
  [/year/i, 2020],
];

const CANDIDATES = ["walker", "USD", "DE", "en", "walker_1", "1", "abc123", "2020"];

/** A value the JSON schema `js` (zod's input form) accepts, as far as it tells. */
export function sample(js: Json, name = ""): Json {
  if (js.anyOf ?? js.oneOf) {
    const options = (js.anyOf ?? js.oneOf).filter((o: Json) => o.type !== "null");
    return sample(options[0] ?? {}, name);
  }
  if (js.const !== undefined) return js.const;
  if (js.enum) return js.enum[0];
  const hint = HINTS.find(([pattern]) => pattern.test(name));
  switch (js.type) {
    case "object":
      return Object.fromEntries(
        Object.entries(js.properties ?? {}).map(([key, child]) => [key, sample(child, key)]),
      );
    case "array": {
      const count = Math.max(1, js.minItems ?? 0);
      const item = (i: number) => {
        const value = sample(js.items ?? {}, name);
        return typeof value === "string" && i > 0 && !hint ? `${value} ${i}` : value;
      };
      return Array.from({ length: count }, (_, i) => item(i));
    }
    case "integer":
    case "number":
      if (hint && typeof hint[1] === "number") return hint[1];
      return Math.min(Math.max(1, js.minimum ?? 1), js.maximum ?? 1);
    case "boolean":
      return true;
    case "string": {
      if (js.format === "uuid") return crypto.randomUUID();
      if (js.format === "email") return `walker.${crypto.randomUUID().slice(0, 8)}@example.com`;
      if (js.format === "date-time") return new Date().toISOString();
      if (hint && typeof hint[1] === "string") return hint[1];
      if (js.pattern) {
        const pattern = new RegExp(js.pattern, "u");
        const fits = CANDIDATES.find((c) => pattern.test(c));
        if (fits) return fits;
      }
      const min = js.minLength ?? 1;
      const text = "Walker text for a field.";
      return text.length >= min ? text.slice(0, js.maxLength ?? text.length) : "w".repeat(min);
    }
    default:
      return "walker";
  }
}

/** JSON pointer of every object, array and field of `value`, root excluded. */
export function pointersOf(value: Json, prefix = ""): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const pointer = `${prefix}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    return [pointer, ...pointersOf(child, pointer)];
  });
}

const PLACEHOLDER = "\u{E000}bad-value\u{E000}";

/** `value` as JSON text with the node at `pointer` replaced by the raw `bad` JSON. */
export function withValueAt(value: Json, pointer: string, bad: string): string {
  if (pointer === "") return bad;
  const copy = structuredClone(value);
  const keys = pointer.slice(1).split("/").map((k) =>
    k.replaceAll("~1", "/").replaceAll("~0", "~")
  );
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key];
  node[keys.at(-1)!] = PLACEHOLDER;
  return JSON.stringify(copy).replace(JSON.stringify(PLACEHOLDER), bad);
}

/** A request schema's input form as JSON schema (refinements and transforms left out). */
export function inputSchema(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
}

/**
 * `value` with the fields the schema refuses removed where that helps (an
 * optional field whose rule the JSON schema could not show): a best-effort valid body.
 */
export function repaired(schema: z.ZodType, value: Json): { value: Json; valid: boolean } {
  let current = structuredClone(value);
  for (let round = 0; round < 10; round++) {
    const result = schema.safeParse(current);
    if (result.success) return { value: current, valid: true };
    const before = result.error.issues.length;
    let improved = false;
    // Try removing the refused field, else the nearest object field holding it.
    const paths = result.error.issues.flatMap((issue) =>
      issue.path.map((_, i) => issue.path.slice(0, issue.path.length - i))
    );
    for (const path of paths) {
      const attempt = structuredClone(current);
      let parent = attempt;
      for (const key of path.slice(0, -1)) parent = parent?.[key as string];
      if (!parent || typeof parent !== "object" || Array.isArray(parent)) continue;
      delete parent[path.at(-1) as string];
      const after = schema.safeParse(attempt);
      if (after.success || after.error.issues.length < before) {
        current = attempt;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return { value: current, valid: schema.safeParse(current).success };
}
