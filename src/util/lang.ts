// The course speaks Chinese and English. One type for text in both languages, one way to choose.
export type Lang = 'zh' | 'en';

/** A learner-facing text in both languages (lab.yaml's `{zh, en}` has the same shape). */
export interface Text {
  zh: string;
  en: string;
}

export const t = (en: string, zh: string): Text => ({ en, zh });

export const pick = (text: Text, lang: Lang): string => text[lang];

/**
 * --lang when given, else LAB_LANG, else Chinese when the locale says so, else `fallback`: English for
 * reports (`lab check`), the course's own Chinese for the guide.
 */
export function resolveLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, fallback: Lang = 'en'): Lang {
  if (flag === 'zh' || flag === 'en') return flag;
  if (env.LAB_LANG === 'zh' || env.LAB_LANG === 'en') return env.LAB_LANG;
  const l = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return l.toLowerCase().startsWith('zh') ? 'zh' : fallback;
}
