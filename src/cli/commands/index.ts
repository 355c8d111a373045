// The core's administration commands, one line each (the methods bring theirs in their modules).
import type { Command } from '../command.ts';
import audit from './audit.ts';
import company from './company.ts';
import importCommand from './import.ts';
import unlock from './unlock.ts';

export const coreCommands: readonly Command[] = [audit, company, importCommand, unlock];
