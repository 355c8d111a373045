// The CLI's commands come from the core and the installed methods: a name claimed twice stops the CLI
// with a message naming who claimed it second.
import { describe, expect, it } from 'vitest';
import { methods } from '../../interactions/index.ts';
import { loadCommands } from '../../src/cli/main.ts';
import { defineCommand } from '../../src/cli/command.ts';
import { defineMethod } from '../../src/methods/method.ts';
import { MethodError } from '../../src/methods/install.ts';

const command = (name: string) => defineCommand({ name, usage: [name], run: async () => name });

describe('loading the commands', () => {
  it('loads the core\'s and the methods\' commands, sorted by name', async () => {
    const names = [...(await loadCommands(methods)).keys()];
    expect(names).toEqual(expect.arrayContaining(['unlock', 'audit', 'card', 'totp']));
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it('refuses a method command named like a core command', async () => {
    const clash = defineMethod({ id: 'clash', commands: [command('unlock')] });
    const err = await loadCommands([...methods, clash]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MethodError);
    expect((err as Error).message).toBe('method clash: command unlock is already taken');
  });

  it('refuses a command two methods both bring', async () => {
    const one = defineMethod({ id: 'one', commands: [command('twice')] });
    const two = defineMethod({ id: 'two', commands: [command('twice')] });
    await expect(loadCommands([one, two])).rejects.toThrow('method two: command twice is already taken');
    expect((await loadCommands([one])).get('twice')).toBe(one.commands![0]);
  });
});
