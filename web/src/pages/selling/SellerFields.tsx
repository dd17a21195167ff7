/**
 * The seller profile's fields (description, skills, languages, education, certifications,
 * portfolio) as one form body, shared by becoming a seller (`POST /sellers`) and editing the
 * profile (`PATCH /sellers/me`), so both ask the same way and show the API's errors alike.
 */
import type { ReactNode } from "react";
import { Button, Card, Input } from "../../ui/index.ts";
import { LANGUAGE_LEVELS, type SellerBody } from "./api.ts";
import { Select, TextArea, wordsOf } from "./parts.tsx";

type Language = SellerBody["languages"][number];
type Education = { institution: string; degree: string; field: string; country: string; graduationYear: string };
type Certification = { name: string; issuer: string; year: string };
type PortfolioItem = { title: string; url: string; description: string };

/** What the form holds: text as typed (numbers and lists parsed only when sent). */
export interface SellerDraft {
  description: string;
  skills: string;
  languages: Language[];
  education: Education[];
  certifications: Certification[];
  portfolio: PortfolioItem[];
}

export const blankSellerDraft: SellerDraft = {
  description: "",
  skills: "",
  languages: [{ language: "en", level: "fluent" }],
  education: [],
  certifications: [],
  portfolio: [],
};

const text = (value: string | number | null | undefined) => value == null ? "" : String(value);
const nullable = (value: string) => value.trim() || null;

/** The form's draft of a stored seller profile. */
export function draftOf(seller: SellerBody): SellerDraft {
  return {
    description: seller.description,
    skills: seller.skills.join(", "),
    languages: seller.languages.map((l) => ({ ...l })),
    education: seller.education.map((e) => ({
      institution: e.institution,
      degree: e.degree,
      field: text(e.field),
      country: text(e.country),
      graduationYear: text(e.graduationYear),
    })),
    certifications: seller.certifications.map((c) => ({ name: c.name, issuer: c.issuer, year: text(c.year) })),
    portfolio: seller.portfolio.map((p) => ({ title: p.title, url: p.url, description: text(p.description) })),
  };
}

/** The API's body of a draft. */
export function bodyOf(draft: SellerDraft): SellerBody {
  return {
    description: draft.description,
    skills: wordsOf(draft.skills),
    languages: draft.languages,
    education: draft.education.map((e) => ({
      institution: e.institution,
      degree: e.degree,
      field: nullable(e.field),
      country: nullable(e.country.toUpperCase()),
      graduationYear: e.graduationYear ? Number(e.graduationYear) : null,
    })),
    certifications: draft.certifications.map((c) => ({ ...c, year: Number(c.year) })),
    portfolio: draft.portfolio.map((p) => ({ ...p, description: nullable(p.description) })),
  };
}

const BLANK_LANGUAGE: Language = { language: "", level: "conversational" };
const ROW_FIELD = /^\/(languages|education|certifications|portfolio)\/\d+\/\w+$/;

/** The pointers these fields show next to themselves (the rest go in the form's alert). */
export function sellerPointers(fields: Record<string, string>): string[] {
  return ["/description", "/skills", ...Object.keys(fields).filter((p) => ROW_FIELD.test(p) || /^\/skills\/\d+$/.test(p))];
}

/**
 * The skills field's error: the list's own, or the first refused skill's, named, since the
 * skills are typed as one comma-separated line (`/skills/1` is the second word).
 */
function skillsError(draft: SellerDraft, fields: Record<string, string>): string | undefined {
  if (fields["/skills"]) return fields["/skills"];
  const first = Object.keys(fields).map((p) => /^\/skills\/(\d+)$/.exec(p)).find(Boolean);
  if (!first) return undefined;
  const skill = wordsOf(draft.skills)[Number(first[1])];
  return `${skill ? `“${skill}”: ` : ""}${fields[first[0]]}`;
}

/** The seller profile's fields, each with its error from the API's answer. */
export function SellerFields(
  { draft, setDraft, fields }: {
    draft: SellerDraft;
    setDraft: (draft: SellerDraft) => void;
    /** Field errors by JSON pointer. */
    fields: Record<string, string>;
  },
) {
  const fe = (pointer: string) => fields[pointer];
  const set = <K extends keyof SellerDraft>(key: K) => (value: SellerDraft[K]) => setDraft({ ...draft, [key]: value });
  return (
    <>
      <Card className="flex flex-col gap-4">
        <TextArea label="About you as a seller" value={draft.description} rows={5}
          onChange={(e) => set("description")(e.target.value)} hint="20 to 1,200 characters."
          error={fe("/description")} />
        <Input label="Skills" value={draft.skills} onChange={(e) => set("skills")(e.target.value)}
          hint="Separated by commas, e.g. logo design, illustration." error={skillsError(draft, fields)} />
      </Card>

      <Rows title="Languages" noun="language" addLabel="Add a language" items={draft.languages}
        setItems={set("languages")} blank={BLANK_LANGUAGE} error={fe("/languages")}
        row={(item, i, change) => (
          <>
            <Input label={`Language ${i + 1}`} value={item.language} hint="A tag such as en or pt-BR."
              onChange={(e) => change({ ...item, language: e.target.value })}
              error={fe(`/languages/${i}/language`)} />
            <Select label={`Level of language ${i + 1}`} value={item.level}
              onChange={(e) => change({ ...item, level: e.target.value as Language["level"] })}>
              {LANGUAGE_LEVELS.map((level) => <option key={level} value={level}>{level}</option>)}
            </Select>
          </>
        )} />

      <Rows title="Education" noun="education" addLabel="Add education" items={draft.education}
        setItems={set("education")} blank={{ institution: "", degree: "", field: "", country: "", graduationYear: "" }}
        error={fe("/education")}
        row={(item, i, change) => (
          <>
            <Input label={`Institution ${i + 1}`} value={item.institution}
              onChange={(e) => change({ ...item, institution: e.target.value })}
              error={fe(`/education/${i}/institution`)} />
            <Input label={`Degree ${i + 1}`} value={item.degree}
              onChange={(e) => change({ ...item, degree: e.target.value })} error={fe(`/education/${i}/degree`)} />
            <Input label={`Field of study ${i + 1}`} value={item.field}
              onChange={(e) => change({ ...item, field: e.target.value })} error={fe(`/education/${i}/field`)} />
            <Input label={`Country of institution ${i + 1}`} value={item.country} maxLength={2}
              onChange={(e) => change({ ...item, country: e.target.value })} error={fe(`/education/${i}/country`)} />
            <Input label={`Graduation year ${i + 1}`} value={item.graduationYear} inputMode="numeric"
              onChange={(e) => change({ ...item, graduationYear: e.target.value })}
              error={fe(`/education/${i}/graduationYear`)} />
          </>
        )} />

      <Rows title="Certifications" noun="certification" addLabel="Add a certification" items={draft.certifications}
        setItems={set("certifications")} blank={{ name: "", issuer: "", year: "" }} error={fe("/certifications")}
        row={(item, i, change) => (
          <>
            <Input label={`Certification ${i + 1}`} value={item.name}
              onChange={(e) => change({ ...item, name: e.target.value })} error={fe(`/certifications/${i}/name`)} />
            <Input label={`Issuer ${i + 1}`} value={item.issuer}
              onChange={(e) => change({ ...item, issuer: e.target.value })} error={fe(`/certifications/${i}/issuer`)} />
            <Input label={`Year ${i + 1}`} value={item.year} inputMode="numeric"
              onChange={(e) => change({ ...item, year: e.target.value })} error={fe(`/certifications/${i}/year`)} />
          </>
        )} />

      <Rows title="Portfolio" noun="portfolio item" addLabel="Add a portfolio item" items={draft.portfolio}
        setItems={set("portfolio")} blank={{ title: "", url: "", description: "" }} error={fe("/portfolio")}
        row={(item, i, change) => (
          <>
            <Input label={`Portfolio title ${i + 1}`} value={item.title}
              onChange={(e) => change({ ...item, title: e.target.value })} error={fe(`/portfolio/${i}/title`)} />
            <Input label={`Portfolio link ${i + 1}`} type="url" value={item.url} hint="A public https link."
              onChange={(e) => change({ ...item, url: e.target.value })} error={fe(`/portfolio/${i}/url`)} />
            <Input label={`Portfolio description ${i + 1}`} value={item.description}
              onChange={(e) => change({ ...item, description: e.target.value })}
              error={fe(`/portfolio/${i}/description`)} />
          </>
        )} />
    </>
  );
}

/** A list of items of one kind, each a row of fields, with add and remove buttons. */
function Rows<T>(
  { title, noun, addLabel, items, setItems, blank, row, error }: {
    title: string;
    /** One item, as the remove button names it. */
    noun: string;
    addLabel: string;
    items: T[];
    setItems: (items: T[]) => void;
    blank: T;
    row: (item: T, index: number, change: (item: T) => void) => ReactNode;
    error?: string;
  },
) {
  return (
    <Card>
      <fieldset className="flex flex-col gap-4">
        <legend className="mb-2 text-lg font-semibold text-ink-900">{title}</legend>
        {error && <p className="text-sm text-danger-700">{error}</p>}
        {items.map((item, index) => (
          <div key={index} className="grid gap-3 border-b border-ink-200 pb-4 sm:grid-cols-2">
            {row(item, index, (next) => setItems(items.map((old, i) => (i === index ? next : old))))}
            <div className="flex items-end">
              <Button variant="ghost" onClick={() => setItems(items.filter((_, i) => i !== index))}>
                Remove {noun} {index + 1}
              </Button>
            </div>
          </div>
        ))}
        <div>
          <Button variant="secondary" onClick={() => setItems([...items, blank])}>{addLabel}</Button>
        </div>
      </fieldset>
    </Card>
  );
}
