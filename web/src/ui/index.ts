/** The design system: import every building block from here. */
export { Alert } from "./Alert.tsx";
export { Button, buttonClass } from "./Button.tsx";
export { Card } from "./Card.tsx";
export { EmptyState } from "./EmptyState.tsx";
export { Input } from "./Input.tsx";
export { formatMoney, Money } from "./Money.tsx";
export { PageTitle } from "./PageTitle.tsx";
export { formatRelative, RelativeTime } from "./RelativeTime.tsx";
export { Skeleton } from "./Skeleton.tsx";
