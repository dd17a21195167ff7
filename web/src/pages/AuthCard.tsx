import type { ReactNode } from "react";
import { Card, PageTitle } from "../ui/index.ts";

/** The frame of the account pages: a centred card with the title. */
export function AuthCard(
  { title, intro, children, footer }: {
    title: string;
    intro?: ReactNode;
    children: ReactNode;
    footer?: ReactNode;
  },
) {
  return (
    <div className="mx-auto flex w-full max-w-md flex-col gap-4">
      <Card className="flex flex-col gap-6">
        <div className="flex flex-col gap-2">
          <PageTitle title={title}>{title}</PageTitle>
          {intro && <p className="text-sm text-ink-600">{intro}</p>}
        </div>
        {children}
      </Card>
      {footer && <div className="text-center text-sm text-ink-600">{footer}</div>}
    </div>
  );
}
