import type { ComponentPropsWithRef } from "react";

const VARIANTS = {
  primary: "bg-brand-700 text-white hover:bg-brand-800 disabled:bg-ink-300",
  secondary: "border border-ink-300 bg-white text-ink-900 hover:bg-ink-100 disabled:text-ink-500",
  ghost: "text-ink-700 hover:bg-ink-100",
  danger: "bg-danger-700 text-white hover:bg-danger-600",
} as const;

/** Class names of a button, for links that look like one (`<Link className={buttonClass()}>`). */
export function buttonClass(variant: keyof typeof VARIANTS = "primary", extra = ""): string {
  return `inline-flex min-h-10 items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-semibold transition-colors disabled:cursor-not-allowed ${
    VARIANTS[variant]
  } ${extra}`;
}

/** A button's attributes, `ref` included (React 19 passes it as a prop, e.g. to move focus back). */
export interface ButtonProps extends ComponentPropsWithRef<"button"> {
  variant?: keyof typeof VARIANTS;
  /** Shows the work in progress and disables the button. */
  busy?: boolean;
}

export function Button({ variant = "primary", busy, className = "", children, ...props }: ButtonProps) {
  return (
    <button
      type="button"
      {...props}
      disabled={props.disabled || busy}
      aria-busy={busy || undefined}
      className={buttonClass(variant, className)}
    >
      {busy && (
        <span
          aria-hidden="true"
          className="size-4 animate-spin rounded-full border-2 border-current border-t-transparent"
        />
      )}
      {children}
    </button>
  );
}
