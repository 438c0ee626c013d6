// The guide speaks the course's language (Chinese) unless asked for English.
export type Lang = 'zh' | 'en';

export function parseLang(flag: string | undefined): Lang {
  return flag === 'en' ? 'en' : 'zh';
}

/** Both languages side by side; pick with `pick(text, lang)`. */
export interface Bilingual {
  zh: string;
  en: string;
}

export const pick = (t: Bilingual, lang: Lang): string => t[lang];
