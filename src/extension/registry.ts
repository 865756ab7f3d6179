// Registers every command through the factory (commands.ts). Each handler takes the explorer/editor Uri when
// invoked from a menu, and asks with a picker when invoked from the palette.
import * as vscode from 'vscode';
import { chainOfferShown } from './chain';
import { getLastError, register } from './commands';
import { completeHierarchyCommand, mapToCgCommand, previewMappingCommand } from './mapping-actions';
import { selectModel } from './models';
import { backmapCommand, backmapTrajectoryCommand, compareWithReferenceCommand, openComparisonCommand } from './structure-actions';
import { ReportStore } from './report';
import { cancelTraining, knownMappingFolders, registerMappingFolderContext, trainModelCommand, trainingState } from './train';

export interface Services {
  reports: ReportStore;
}

export function registerCommands(ctx: vscode.ExtensionContext): Services {
  const reports = new ReportStore(ctx);
  register(ctx, 'backmapStudio.backmap', 'Backmap', (uri?: unknown) => backmapCommand(ctx, reports, uri));
  register(ctx, 'backmapStudio.backmapTrajectory', 'Backmap trajectory', (a?: unknown, b?: unknown) => backmapTrajectoryCommand(ctx, reports, a, b));
  register(ctx, 'backmapStudio.compareWithReference', 'Compare with reference', (uri?: unknown, ref?: unknown) => compareWithReferenceCommand(ctx, uri, ref));
  register(ctx, 'backmapStudio.openComparison', 'Open comparison view', (uri?: unknown, second?: unknown) => openComparisonCommand(ctx, uri, second));
  register(ctx, 'backmapStudio.mapToCg', 'Map all-atom structure to CG', (uri?: unknown, set?: unknown) => mapToCgCommand(ctx, uri, set));
  register(ctx, 'backmapStudio.selectModel', 'Select model', () => selectModel());
  register(ctx, 'backmapStudio.showReport', 'Show backmapping report', () => reports.show());
  register(ctx, 'backmapStudio.completeHierarchy', 'Complete hierarchy', (uri?: unknown, structure?: unknown) => completeHierarchyCommand(uri, structure));
  register(ctx, 'backmapStudio.previewMapping', 'Preview mapping', (uri?: unknown, structure?: unknown) => previewMappingCommand(ctx, uri, structure));
  register(ctx, 'backmapStudio.trainModel', 'Train model', (target?: unknown) => trainModelCommand(ctx, target));
  registerMappingFolderContext(ctx);
  // Test hook: the last error a command reported (commands swallow errors after showing them).
  ctx.subscriptions.push(vscode.commands.registerCommand('backmapStudio.internal.lastError', () => getLastError()));
  // Test hooks: the running training's progress, and the notification's Cancel (tests cannot click it).
  ctx.subscriptions.push(vscode.commands.registerCommand('backmapStudio.internal.training', () => trainingState()));
  ctx.subscriptions.push(vscode.commands.registerCommand('backmapStudio.internal.cancelTraining', () => cancelTraining()));
  ctx.subscriptions.push(vscode.commands.registerCommand('backmapStudio.internal.mappingFolders', () => knownMappingFolders()));
  // Test hook: the labels of the chain offer on screen (a UCG backmap waits on it), undefined when none is.
  ctx.subscriptions.push(vscode.commands.registerCommand('backmapStudio.internal.chainOffer', () => chainOfferShown()));
  return { reports };
}
