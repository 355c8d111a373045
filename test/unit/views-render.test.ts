import { Eta } from 'eta';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/app.ts';
import { coreStrings } from '../../src/http/core-strings.ts';
import { directLayout, Views } from '../../src/http/views.ts';
import { installMethods } from '../../src/methods/install.ts';
import { methods } from '../../interactions/index.ts';

describe('page rendering', () => {
  it('renders a layout from the data the page gave it, as Eta itself would (the rewrite applies to this Eta)', () => {
    const templates = {
      '@layout': '<title><%= it.title %></title><main><%~ it.body %></main><%= it.who %><%= Object.keys(it).join() %>',
      '@page': '<% layout("@layout", { title: "T" }) %><p><%= it.who %></p><%~ include("@part", { n: 2 }) %>',
      '@part': '<i><%= it.n %> <%= it.who %></i>',
    };
    const plain = new Eta({ autoEscape: true, useWith: false });
    const direct = new Eta({ autoEscape: true, useWith: false, plugins: [directLayout] });
    for (const [name, text] of Object.entries(templates)) { plain.loadTemplate(name, text); direct.loadTemplate(name, text); }
    expect(direct.compileToString(templates['@page'], { async: false })).toContain('this.render(__eta.layout,');
    expect(plain.compileToString(templates['@page'], { async: false })).not.toContain('this.render(__eta.layout,');
    const data = { who: '<Ada>' };
    expect(direct.render('@page', data)).toBe(plain.render('@page', data));
    expect(direct.render('@page', data)).toContain('<p>&lt;Ada&gt;</p><i>2 &lt;Ada&gt;</i>');
  });

  it('gives the login page its fields, labels and form token', () => {
    const strings = coreStrings();
    installMethods(methods, strings);
    const views = new Views(ROOT, strings, true);
    const html = views.render('interactions/identify/page', 'en', {
      action: '/interaction/abc', csrf: 'tok-1', nextFields: 'interactions/password/fields', beside: [], login_hint: 'RSSMRA85T10A562S',
    });
    for (const name of ['fiscal_code', 'company_code', 'operator_code', 'password', 'csrf']) expect(html).toContain(`name="${name}"`);
    expect(html).toContain('value="RSSMRA85T10A562S"');
    expect(html).toContain('value="tok-1"');
    expect(html).toContain(`<label for="password">${strings.t('en', 'password.label')}</label>`);
    expect(html).toContain('formaction="/interaction/abc/abort"');
    expect(html).toContain('/forgot-password?back=%2Finteraction%2Fabc');
  });
});
