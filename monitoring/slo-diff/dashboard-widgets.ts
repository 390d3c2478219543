/** Reads CloudWatch dashboard widgets out of synthesized templates, resolving tokenized bodies. */
import { isRecord, resourcesOfType, type TemplateSet } from './cfn-template';
import { resolveTokens } from './cfn-tokens';

/** One widget: the dashboard it sits on, its title and type, and its properties as JSON for change detection. */
export interface WidgetSummary {
  readonly dashboard: string;
  readonly title: string;
  readonly type: string;
  readonly json: string;
}

/** The widgets of every dashboard, plus a warning for each body that is not JSON once tokens are resolved. */
export function widgetsOf(templates: TemplateSet): { widgets: WidgetSummary[]; warnings: string[] } {
  const widgets: WidgetSummary[] = [];
  const warnings: string[] = [];
  for (const { stack, logicalId, properties } of resourcesOfType(templates, ['AWS::CloudWatch::Dashboard'])) {
    const dashboard =
      properties.DashboardName === undefined ? `${stack}/${logicalId}` : resolveTokens(properties.DashboardName);
    const body = parseBody(properties.DashboardBody);
    if (body === undefined) {
      warnings.push(`dashboard ${dashboard}: DashboardBody is not JSON after resolving tokens; widgets not compared`);
      continue;
    }
    for (const widget of body) widgets.push(summarize(dashboard, widget));
  }
  return { widgets, warnings };
}

/** The widget list of a DashboardBody (a string or an `Fn::Join` of strings and tokens), or undefined. */
export function parseBody(body: unknown): Record<string, unknown>[] | undefined {
  try {
    const parsed: unknown = JSON.parse(resolveTokens(body));
    const widgets = isRecord(parsed) ? parsed.widgets : undefined;
    return Array.isArray(widgets) ? widgets.filter(isRecord) : undefined;
  } catch {
    return undefined;
  }
}

function summarize(dashboard: string, widget: Record<string, unknown>): WidgetSummary {
  const properties = isRecord(widget.properties) ? widget.properties : {};
  const type = typeof widget.type === 'string' ? widget.type : 'unknown';
  return { dashboard, title: titleOf(properties, type), type, json: JSON.stringify(properties) };
}

/** The title, else the first line of a text widget's markdown, else the type. */
function titleOf(properties: Record<string, unknown>, type: string): string {
  if (typeof properties.title === 'string' && properties.title !== '') return properties.title;
  if (typeof properties.markdown === 'string') {
    const firstLine = properties.markdown.split('\n').find((line) => line.trim() !== '');
    if (firstLine) return firstLine.replace(/^#+\s*/, '').trim();
  }
  return `(untitled ${type})`;
}
