/**
 * /sell/gigs/new and /sell/gigs/:id/edit: the gig editor. Title, category and subcategory
 * (from the categories API), description, tags, images (public https links), up to three
 * packages (basic always), requirement questions and the FAQ. The API checks every field;
 * its field errors are shown next to their fields.
 */
import { type FormEvent, type ReactNode, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useCategories } from "../../api/gigs.ts";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, buttonClass, Card, Input, PageTitle, Skeleton } from "../../ui/index.ts";
import {
  CURRENCIES,
  errorsOf,
  type Gig,
  type GigBody,
  type Requirement,
  type Tier,
  TIERS,
  useGig,
  useSaveGig,
} from "./api.ts";
import { FormAlert, linesOf, Select, TextArea, wordsOf } from "./parts.tsx";
import { type GigImage, GigImages } from "./GigImages.tsx";

export default function GigEditor() {
  const { id } = useParams();
  return (
    <RequireAuth>
      <div className="mx-auto flex max-w-4xl flex-col gap-6">
        <PageTitle title={id ? "Edit gig" : "New gig"}>{id ? "Edit gig" : "Publish a gig"}</PageTitle>
        {id ? <Existing id={id} /> : <GigForm />}
      </div>
    </RequireAuth>
  );
}

function Existing({ id }: { id: string }) {
  const gig = useGig(id);
  if (gig.isPending) return <Skeleton className="h-96 w-full" />;
  if (gig.isError) {
    return (
      <Alert tone="error">
        {gig.error instanceof ApiError ? sentenceOf(gig.error) : "Could not load the gig."}{" "}
        <button type="button" className="underline" onClick={() => gig.refetch()}>Try again</button>
      </Alert>
    );
  }
  return <GigForm gig={gig.data} />;
}

interface PackageDraft {
  offered: boolean;
  name: string;
  description: string;
  price: string;
  deliveryDays: string;
  revisions: string;
  features: string;
}

const TIER_NAME: Record<Tier, string> = { basic: "Basic", standard: "Standard", premium: "Premium" };

function draftOf(gig: Gig | undefined, tier: Tier): PackageDraft {
  const p = gig?.packages.find((pkg) => pkg.tier === tier);
  return p
    ? {
      offered: true,
      name: p.name,
      description: p.description,
      price: (p.price.amount / 100).toFixed(2),
      deliveryDays: String(p.deliveryDays),
      revisions: String(p.revisions),
      features: p.features.join("\n"),
    }
    : {
      offered: tier === "basic" || !gig,
      name: "",
      description: "",
      price: "",
      deliveryDays: "",
      revisions: "",
      features: "",
    };
}

/** A decimal amount as minor units (every gig currency has two digits); NaN when it is none. */
const minorUnits = (text: string) => {
  const value = text.trim().replace(",", ".");
  return /^\d+(\.\d{1,2})?$/.test(value) ? Math.round(Number(value) * 100) : Number.NaN;
};
const integer = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : Number.NaN);

function GigForm({ gig }: { gig?: Gig }) {
  const navigate = useNavigate();
  const categories = useCategories();
  const save = useSaveGig(gig?.id);
  const [title, setTitle] = useState(gig?.title ?? "");
  const [category, setCategory] = useState(gig?.category ?? "");
  const [subcategory, setSubcategory] = useState(gig?.subcategory ?? "");
  const [description, setDescription] = useState(gig?.description ?? "");
  const [tags, setTags] = useState(gig?.tags.join(", ") ?? "");
  // The answer's `images` starts with the uploads' URLs: only the rest are links.
  const uploads = gig?.imageMediaIds ?? [];
  const [images, setImages] = useState(gig?.images.slice(uploads.length).join("\n") ?? "");
  const [pictures, setPictures] = useState<GigImage[]>(() =>
    uploads.map((id, i) => ({ id, url: gig?.images[i] ?? null, name: `Picture ${i + 1}` }))
  );
  const [currency, setCurrency] = useState(gig?.packages[0]?.price.currency ?? "USD");
  const [packages, setPackages] = useState(() =>
    Object.fromEntries(TIERS.map((tier) => [tier, draftOf(gig, tier)])) as Record<Tier, PackageDraft>
  );
  const [requirements, setRequirements] = useState<(Requirement & { choiceText: string })[]>(
    gig?.requirements.map((r) => ({ ...r, choiceText: (r.choices ?? []).join("\n") })) ?? [],
  );
  const [faq, setFaq] = useState(gig?.faq ?? []);
  const errors = errorsOf(save.error);
  const offered = TIERS.filter((tier) => packages[tier].offered);
  // Pointers of the packages follow the order they are sent in: cheapest tier first.
  const pe = (tier: Tier, field: string) => errors.fields[`/packages/${offered.indexOf(tier)}/${field}`];
  const fe = (pointer: string) => errors.fields[pointer];
  const subcategories = categories.data?.find((c) => c.slug === category)?.subcategories ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: GigBody = {
      title,
      description,
      category,
      subcategory,
      tags: wordsOf(tags),
      images: linesOf(images),
      imageMediaIds: pictures.map((p) => p.id),
      packages: offered.map((tier) => {
        const p = packages[tier];
        return {
          tier,
          name: p.name,
          description: p.description,
          price: { amount: minorUnits(p.price), currency },
          deliveryDays: integer(p.deliveryDays),
          revisions: integer(p.revisions),
          features: linesOf(p.features),
        };
      }),
      requirements: requirements.map(({ choiceText, ...r }) => ({
        ...r,
        choices: r.type === "choice" ? linesOf(choiceText) : undefined,
      })),
      faq,
    };
    save.mutate(body, { onSuccess: () => navigate("/sell/gigs?saved=1") });
  }

  const shown = Object.keys(errors.fields).filter((p) =>
    /^\/(title|category|subcategory|description|tags|images|imageMediaIds)$/.test(p) ||
    /^\/packages\/\d+\/(name|description|price\/amount|price\/currency|deliveryDays|revisions|features)$/.test(p) ||
    /^\/(requirements|faq)\/\d+\/\w+$/.test(p) || /^\/(tags|images|imageMediaIds)\/\d+$/.test(p) ||
    /^\/packages\/\d+\/features\/\d+$/.test(p) || p === "/packages"
  );
  return (
    <form noValidate onSubmit={submit} className="flex flex-col gap-6">
      <FormAlert errors={errors} shown={shown} />
      <Card className="flex flex-col gap-4">
        <h2 className="text-lg font-semibold text-ink-900">Overview</h2>
        <Input label="Title" value={title} onChange={(e) => setTitle(e.target.value)}
          hint="10 to 100 characters, e.g. I will design a minimalist logo." error={fe("/title")} />
        <div className="grid gap-4 sm:grid-cols-2">
          <Select label="Category" value={category} error={fe("/category")}
            onChange={(e) => {
              setCategory(e.target.value);
              setSubcategory("");
            }}>
            <option value="">{categories.isPending ? "Loading…" : "Choose a category"}</option>
            {categories.data?.map((c) => <option key={c.slug} value={c.slug}>{c.name}</option>)}
          </Select>
          <Select label="Subcategory" value={subcategory} error={fe("/subcategory")}
            onChange={(e) => setSubcategory(e.target.value)} disabled={!category}>
            <option value="">Choose a subcategory</option>
            {subcategories.map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
          </Select>
        </div>
        {categories.isError && <Alert tone="error">The categories could not be loaded. Reload to try again.</Alert>}
        <TextArea label="Description" value={description} rows={6} error={fe("/description")}
          onChange={(e) => setDescription(e.target.value)} hint="20 to 5,000 characters." />
        <Input label="Tags" value={tags} onChange={(e) => setTags(e.target.value)}
          hint="Up to 5 search keywords, separated by commas."
          error={fe("/tags") ?? firstUnder(errors.fields, "/tags/")} />
        <GigImages images={pictures} setImages={setPictures} links={linesOf(images).length}
          error={fe("/imageMediaIds") ?? firstUnder(errors.fields, "/imageMediaIds/")} />
        <TextArea label="Images" value={images} rows={3} onChange={(e) => setImages(e.target.value)}
          hint="Or links: public https links to pictures, one per line, shown after the uploaded ones; 5 pictures in all."
          error={fe("/images") ?? firstUnder(errors.fields, "/images/")} />
      </Card>

      <Card className="flex flex-col gap-4">
        <div className="flex flex-wrap items-end justify-between gap-4">
          <h2 className="text-lg font-semibold text-ink-900">Packages</h2>
          <Select label="Currency" value={currency} onChange={(e) => setCurrency(e.target.value)}
            error={pe("basic", "price/currency")}>
            {CURRENCIES.map((c) => <option key={c}>{c}</option>)}
          </Select>
        </div>
        {fe("/packages") && <p className="text-sm text-danger-700">{fe("/packages")}</p>}
        <div className="grid gap-4 lg:grid-cols-3">
          {TIERS.map((tier) => {
            const p = packages[tier];
            const change = (field: keyof PackageDraft) => (e: { target: { value: string } }) =>
              setPackages({ ...packages, [tier]: { ...p, [field]: e.target.value } });
            const label = TIER_NAME[tier];
            return (
              <fieldset key={tier} className="flex flex-col gap-3 rounded-lg border border-ink-200 p-4">
                <legend className="px-1 font-semibold text-ink-900">{label} package</legend>
                {tier === "basic"
                  ? <p className="text-sm text-ink-600">Every gig has a basic package.</p>
                  : (
                    <label className="flex items-center gap-2 text-sm text-ink-700">
                      <input type="checkbox" checked={p.offered} className="size-4"
                        onChange={(e) => setPackages({ ...packages, [tier]: { ...p, offered: e.target.checked } })} />
                      Offer a {label.toLowerCase()} package
                    </label>
                  )}
                {p.offered && (
                  <>
                    <Input label={`${label} name`} value={p.name} onChange={change("name")} error={pe(tier, "name")} />
                    <TextArea label={`${label} description`} rows={3} value={p.description}
                      onChange={change("description")} error={pe(tier, "description")} />
                    <Input label={`${label} price`} inputMode="decimal" value={p.price} onChange={change("price")}
                      hint={`In ${currency}, e.g. 25.00`} error={pe(tier, "price/amount")} />
                    <div className="grid grid-cols-2 gap-3">
                      <Input label={`${label} delivery days`} inputMode="numeric" value={p.deliveryDays}
                        onChange={change("deliveryDays")} error={pe(tier, "deliveryDays")} />
                      <Input label={`${label} revisions`} inputMode="numeric" value={p.revisions}
                        onChange={change("revisions")} error={pe(tier, "revisions")} />
                    </div>
                    <TextArea label={`${label} features`} rows={3} value={p.features} onChange={change("features")}
                      hint="One per line." error={pe(tier, "features") ?? firstUnder(errors.fields, `/packages/${offered.indexOf(tier)}/features/`)} />
                  </>
                )}
              </fieldset>
            );
          })}
        </div>
      </Card>

      <ListCard title="Requirements" intro="Questions the buyer answers when ordering."
        addLabel="Add a question" error={fe("/requirements")}
        onAdd={() => setRequirements([...requirements, { question: "", required: true, type: "text", choiceText: "" }])}>
        {requirements.map((r, i) => {
          const change = (next: Partial<typeof r>) =>
            setRequirements(requirements.map((old, j) => (j === i ? { ...old, ...next } : old)));
          return (
            <div key={i} className="grid gap-3 border-b border-ink-200 pb-4 sm:grid-cols-2">
              <TextArea label={`Question ${i + 1}`} rows={2} value={r.question} className="sm:col-span-2"
                onChange={(e) => change({ question: e.target.value })} error={fe(`/requirements/${i}/question`)} />
              <Select label={`Answer type of question ${i + 1}`} value={r.type}
                onChange={(e) => change({ type: e.target.value as "text" | "choice" })}>
                <option value="text">Text</option>
                <option value="choice">Choice</option>
              </Select>
              <label className="flex items-center gap-2 self-end pb-2 text-sm text-ink-700">
                <input type="checkbox" className="size-4" checked={r.required}
                  onChange={(e) => change({ required: e.target.checked })} />
                Question {i + 1} must be answered
              </label>
              {r.type === "choice" && (
                <TextArea label={`Choices of question ${i + 1}`} rows={3} value={r.choiceText} hint="One per line."
                  onChange={(e) => change({ choiceText: e.target.value })} error={fe(`/requirements/${i}/choices`)} />
              )}
              <div className="flex items-end">
                <Button variant="ghost" onClick={() => setRequirements(requirements.filter((_, j) => j !== i))}>
                  Remove question {i + 1}
                </Button>
              </div>
            </div>
          );
        })}
      </ListCard>

      <ListCard title="FAQ" intro="Questions buyers often ask, with your answers."
        addLabel="Add a FAQ entry" error={fe("/faq")}
        onAdd={() => setFaq([...faq, { question: "", answer: "" }])}>
        {faq.map((item, i) => {
          const change = (next: Partial<typeof item>) => setFaq(faq.map((old, j) => (j === i ? { ...old, ...next } : old)));
          return (
            <div key={i} className="flex flex-col gap-3 border-b border-ink-200 pb-4">
              <Input label={`FAQ question ${i + 1}`} value={item.question}
                onChange={(e) => change({ question: e.target.value })} error={fe(`/faq/${i}/question`)} />
              <TextArea label={`FAQ answer ${i + 1}`} rows={2} value={item.answer}
                onChange={(e) => change({ answer: e.target.value })} error={fe(`/faq/${i}/answer`)} />
              <div>
                <Button variant="ghost" onClick={() => setFaq(faq.filter((_, j) => j !== i))}>Remove FAQ entry {i + 1}</Button>
              </div>
            </div>
          );
        })}
      </ListCard>

      <div className="flex gap-3">
        <Button type="submit" busy={save.isPending}>{gig ? "Save changes" : "Publish gig"}</Button>
        <Link to="/sell/gigs" className={buttonClass("ghost")}>Cancel</Link>
      </div>
    </form>
  );
}

function firstUnder(fields: Record<string, string>, prefix: string): string | undefined {
  const pointer = Object.keys(fields).find((p) => p.startsWith(prefix));
  return pointer ? `Item ${Number(pointer.slice(prefix.length).split("/")[0]) + 1}: ${fields[pointer]}` : undefined;
}

function ListCard(
  { title, intro, addLabel, onAdd, error, children }: {
    title: string;
    intro: string;
    addLabel: string;
    onAdd: () => void;
    error?: string;
    children: ReactNode;
  },
) {
  return (
    <Card className="flex flex-col gap-4">
      <div>
        <h2 className="text-lg font-semibold text-ink-900">{title}</h2>
        <p className="text-sm text-ink-600">{intro}</p>
      </div>
      {error && <p className="text-sm text-danger-700">{error}</p>}
      {children}
      <div>
        <Button variant="secondary" onClick={onAdd}>{addLabel}</Button>
      </div>
    </Card>
  );
}
