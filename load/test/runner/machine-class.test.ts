import { InvalidMachineClassError, machineClass, machineClassOf } from '../../src/runner/machine-class';

const GIB = 2 ** 30;
const laptop = { platform: 'linux', arch: 'x64', cpus: 8, memoryBytes: 15.6 * GIB };

describe('machineClassOf', () => {
  it('names OS, architecture, CPUs and memory rounded up to whole GiB', () => {
    expect(machineClassOf(laptop)).toBe('linux-x64-8cpu-16gb');
    expect(machineClassOf({ platform: 'darwin', arch: 'arm64', cpus: 10, memoryBytes: 32 * GIB })).toBe(
      'darwin-arm64-10cpu-32gb',
    );
  });

  it('gives the same class to two machines of one type whose kernels keep a little more or less memory', () => {
    expect(machineClassOf({ ...laptop, memoryBytes: 15.4 * GIB })).toBe(machineClassOf(laptop));
  });
});

describe('machineClass', () => {
  it('derives the class from the machine when LOAD_MACHINE_CLASS is unset or empty', () => {
    expect(machineClass({}, laptop)).toBe('linux-x64-8cpu-16gb');
    expect(machineClass({ LOAD_MACHINE_CLASS: '' }, laptop)).toBe('linux-x64-8cpu-16gb');
  });

  it('takes the name LOAD_MACHINE_CLASS gives, e.g. a CI runner class', () => {
    expect(machineClass({ LOAD_MACHINE_CLASS: 'github-ubuntu-24.04-4cpu' }, laptop)).toBe('github-ubuntu-24.04-4cpu');
  });

  it.each(['../baselines', 'two words', '-leading-dash', 'x'.repeat(65)])(
    'rejects %s, which could not name a baseline folder',
    (name) => {
      expect(() => machineClass({ LOAD_MACHINE_CLASS: name }, laptop)).toThrow(InvalidMachineClassError);
      expect(() => machineClass({ LOAD_MACHINE_CLASS: name }, laptop)).toThrow(/^LOAD_MACHINE_CLASS must be/);
    },
  );
});
