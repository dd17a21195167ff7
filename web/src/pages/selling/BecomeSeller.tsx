/**
 * /sell/start: the seller profile form (the users API's `POST /sellers` body). The email
 * must be verified first: the API's answer says so, and the page shows it.
 */
import { type FormEvent, type ReactNode, useState } from "react";
import { Link, useNavigate } from "react-router";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, buttonClass, Card, Input, PageTitle, Skeleton } from "../../ui/index.ts";
import { errorsOf, LANGUAGE_LEVELS, type SellerBody, useBecomeSeller, useMe } from "./api.ts";
import { FormAlert, Select, TextArea, wordsOf } from "./parts.tsx";

export default function BecomeSeller() {
  return (
    <RequireAuth>
      <div className="mx-auto flex max-w-3xl flex-col gap-6">
        <PageTitle title="Become a seller">Become a seller</PageTitle>
        <Start />
      </div>
    </RequireAuth>
  );
}

function Start() {
  const me = useMe();
  if (me.isPending) return <Skeleton className="h-96 w-full" />;
  if (me.data?.isSeller) {
    return (
      <Alert tone="success">
        You are a seller. <Link className="underline" to="/sell/gigs/new">Publish a gig</Link>
      </Alert>
    );
  }
  return <SellerForm />;
}

type Language = SellerBody["languages"][number];
type Education = { institution: string; degree: string; field: string; country: string; graduationYear: string };
type Certification = { name: string; issuer: string; year: string };
type PortfolioItem = { title: string; url: string; description: string };

const nullable = (text: string) => text.trim() || null;

function SellerForm() {
  const become = useBecomeSeller();
  const navigate = useNavigate();
  const [description, setDescription] = useState("");
  const [skills, setSkills] = useState("");
  const [languages, setLanguages] = useState<Language[]>([{ language: "en", level: "fluent" }]);
  const [education, setEducation] = useState<Education[]>([]);
  const [certifications, setCertifications] = useState<Certification[]>([]);
  const [portfolio, setPortfolio] = useState<PortfolioItem[]>([]);
  const errors = errorsOf(become.error);
  const fe = (pointer: string) => errors.fields[pointer];

  function submit(event: FormEvent) {
    event.preventDefault();
    become.mutate({
      description,
      skills: wordsOf(skills),
      languages,
      education: education.map((e) => ({
        institution: e.institution,
        degree: e.degree,
        field: nullable(e.field),
        country: nullable(e.country.toUpperCase()),
        graduationYear: e.graduationYear ? Number(e.graduationYear) : null,
      })),
      certifications: certifications.map((c) => ({ ...c, year: Number(c.year) })),
      portfolio: portfolio.map((p) => ({ ...p, description: nullable(p.description) })),
    }, { onSuccess: () => navigate("/sell/gigs/new") });
  }

  const shown = [
    "/description",
    "/skills",
    ...Object.keys(errors.fields).filter((p) => /^\/(languages|education|certifications|portfolio)\/\d+\/\w+$/.test(p)),
  ];
  return (
    <form noValidate onSubmit={submit} className="flex flex-col gap-6">
      <FormAlert errors={errors} shown={shown} />
      <Card className="flex flex-col gap-4">
        <TextArea label="About you as a seller" value={description} rows={5}
          onChange={(e) => setDescription(e.target.value)} hint="20 to 1,200 characters."
          error={fe("/description")} />
        <Input label="Skills" value={skills} onChange={(e) => setSkills(e.target.value)}
          hint="Separated by commas, e.g. logo design, illustration." error={fe("/skills")} />
      </Card>

      <Rows title="Languages" noun="language" addLabel="Add a language" items={languages} setItems={setLanguages}
        blank={{ language: "", level: "conversational" }} error={fe("/languages")}
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

      <Rows title="Education" noun="education" addLabel="Add education" items={education} setItems={setEducation}
        blank={{ institution: "", degree: "", field: "", country: "", graduationYear: "" }}
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

      <Rows title="Certifications" noun="certification" addLabel="Add a certification" items={certifications}
        setItems={setCertifications} blank={{ name: "", issuer: "", year: "" }} error={fe("/certifications")}
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

      <Rows title="Portfolio" noun="portfolio item" addLabel="Add a portfolio item" items={portfolio} setItems={setPortfolio}
        blank={{ title: "", url: "", description: "" }} error={fe("/portfolio")}
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

      <div className="flex gap-3">
        <Button type="submit" busy={become.isPending}>Create seller profile</Button>
        <Link to="/" className={buttonClass("ghost")}>Cancel</Link>
      </div>
    </form>
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
