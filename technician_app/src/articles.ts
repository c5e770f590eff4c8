// Knowledge-base articles on the phone: the server's read-only `articles` table (the owner portal's self-help
// articles of the categories of the technician's orders). The app never writes them.

export interface ArticleStep { text: string; text_en: string | null; image_url: string | null }
type Row = Record<string, any>

/** The articles of a category, then those of the categories above it; by position within each. */
export function articlesFor(articles: Row[], categoryId: string, categories: Map<string, Row>): Row[] {
  const path: string[] = []
  for (let code: string | null = categoryId; code && !path.includes(code); code = categories.get(code)?.parent_id ?? null) {
    path.push(code)
  }
  const rank = (a: Row) => path.indexOf(a.category_id)
  return articles.filter((a) => rank(a) >= 0)
    .sort((a, b) => rank(a) - rank(b) || (a.position ?? 0) - (b.position ?? 0) || String(a.title).localeCompare(String(b.title)))
}

/** The steps column (JSON text); a malformed value shows no steps rather than breaking the page. */
export function parseSteps(text: unknown): ArticleStep[] {
  try {
    const steps = JSON.parse(String(text ?? '[]'))
    return Array.isArray(steps) ? steps.filter((s) => s && typeof s.text === 'string') : []
  } catch { return [] }
}
