export const BROWSERS: string[];
export interface BrowserPage {
  name: string; version: string;
  goto(url: string): Promise<unknown>;
  eval(expr: string): Promise<any>;
  stroke(points: [number, number][]): Promise<void>;
  screenshot(path: string): Promise<unknown>;
  close(): Promise<void>;
}
export function openBrowser(name: string): Promise<BrowserPage>;
