/**
 * The gig's uploaded pictures in the editor: previews in the order they are shown (the first is
 * the gig's card), moved earlier or later, removed, and a picker for more while the gig has
 * fewer than 5 pictures in all (uploads plus links, the gigs service's limit).
 */
import { FileUpload } from "../../media/index.ts";

/** An uploaded picture: its media id and the public URL it is shown from. */
export interface GigImage {
  id: string;
  url: string | null;
  name: string;
}

/** Pictures a gig may show in all (services/gigs/README.md). */
export const MAX_GIG_IMAGES = 5;

export interface GigImagesProps {
  images: GigImage[];
  setImages: (images: GigImage[]) => void;
  /** How many picture links the gig also has (they count towards the 5). */
  links: number;
  error?: string;
}

export function GigImages({ images, setImages, links, error }: GigImagesProps) {
  const move = (from: number, to: number) => {
    const next = [...images];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    setImages(next);
  };
  const full = images.length + links >= MAX_GIG_IMAGES;
  return (
    <fieldset className="flex flex-col gap-3">
      <legend className="mb-1 text-sm font-medium text-ink-700">Pictures</legend>
      {images.length > 0 && (
        <ol className="grid gap-3 sm:grid-cols-2" aria-label="Uploaded pictures">
          {images.map((image, index) => (
            <li key={image.id} className="flex gap-3 rounded-lg border border-ink-200 bg-white p-2">
              {image.url
                ? <img src={image.url} alt={`Picture ${index + 1}: ${image.name}`} className="size-20 shrink-0 rounded-md bg-ink-100 object-cover" />
                : <div className="size-20 shrink-0 rounded-md bg-ink-100" />}
              <div className="flex min-w-0 flex-col gap-1">
                <p className="truncate text-sm text-ink-900">
                  {index + 1}. {image.name}
                  {index === 0 && <span className="text-ink-600"> (card picture)</span>}
                </p>
                <div className="flex flex-wrap gap-x-3 gap-y-1 text-sm">
                  <button type="button" className="font-semibold text-brand-700 hover:underline disabled:text-ink-400"
                    disabled={index === 0} onClick={() => move(index, index - 1)}
                    aria-label={`Move picture ${index + 1} earlier`}>Earlier</button>
                  <button type="button" className="font-semibold text-brand-700 hover:underline disabled:text-ink-400"
                    disabled={index === images.length - 1} onClick={() => move(index, index + 1)}
                    aria-label={`Move picture ${index + 1} later`}>Later</button>
                  <button type="button" className="font-semibold text-danger-700 hover:underline"
                    onClick={() => setImages(images.filter((i) => i.id !== image.id))}
                    aria-label={`Remove picture ${index + 1}`}>Remove</button>
                </div>
              </div>
            </li>
          ))}
        </ol>
      )}
      {error && <p className="text-sm text-danger-700">{error}</p>}
      <FileUpload
        purpose="gig_image"
        label="Upload a picture"
        disabledReason={full ? `This gig has ${MAX_GIG_IMAGES} pictures, the most it may have; remove one to add another.` : undefined}
        onUploaded={(media) => setImages([...images, { id: media.id, url: media.url, name: media.name }])}
      />
    </fieldset>
  );
}
