// The questions the guide asks, behind a small interface: inquirer on a terminal, a script in tests.
export interface Choice<T extends string> {
  value: T;
  name: string;
}

export interface Prompter {
  /** The first choice is the default (Enter). */
  select<T extends string>(message: string, choices: Choice<T>[]): Promise<T>;
  confirm(message: string, initial: boolean): Promise<boolean>;
}

/** inquirer's select and confirm; Ctrl-C rejects with inquirer's ExitPromptError. */
export function inquirerPrompter(): Prompter {
  return {
    async select<T extends string>(message: string, choices: Choice<T>[]): Promise<T> {
      const { select } = await import('@inquirer/prompts');
      return select<T>({ message, choices, pageSize: Math.max(choices.length, 7) });
    },
    async confirm(message: string, initial: boolean): Promise<boolean> {
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: initial });
    },
  };
}

/** Ctrl-C inside a prompt. */
export function isPromptExit(e: unknown): boolean {
  const err = e as { name?: string; message?: string } | undefined;
  return err?.name === 'ExitPromptError' || !!err?.message?.includes('User force closed the prompt');
}
