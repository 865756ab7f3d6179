// Opens the comparison view (webview engineer's ComparePanel) for up to three structures.
import * as vscode from 'vscode';
import type { Structure } from '../core/structure/types';
import type { ComparisonSource } from '../shared/webview-protocol';
import { log } from './log';

export interface ComparisonInput {
  cg?: Structure;
  backmapped?: Structure;
  reference?: Structure;
  title?: string;
  source?: ComparisonSource;
}

export async function showComparison(_ctx: vscode.ExtensionContext, input: ComparisonInput): Promise<void> {
  log().info(`TODO(compare panel not landed): ${input.title}`);
}
