// The components mailpump runs. sr3 has more (sarra, shovel, watch...); they move files, not mail.

export const COMPONENTS = ['poll', 'subscribe'] as const;
export type Component = (typeof COMPONENTS)[number];

export function isComponent(word: string): word is Component {
  return (COMPONENTS as readonly string[]).includes(word);
}

/** `poll/mail` -> the name sr3 uses in pid and log file names: `poll_mail`. */
export interface ConfigId {
  component: Component;
  name: string;
}

export function configLabel(id: ConfigId): string {
  return `${id.component}/${id.name}`;
}
