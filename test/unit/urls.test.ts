// The URL routes the project model reads from ROOT_URLCONF, and the view throttles a request reaches
// through them: the forms URLconfs are written in, on an in-memory project.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { Project } from '../../server/src/project/project';
import { parser } from './helpers';

const ROOT = '/ws';

async function projectOf(files: Record<string, string>): Promise<Project> {
  const read = (f: string) => files[path.relative(ROOT, f)] ?? null;
  return new Project(ROOT, await parser(), read, 'site.settings');
}

const SETTINGS = `ROOT_URLCONF = "site.urls"
INSTALLED_APPS = ["rest_framework", "shop"]
REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"orders": "3/min"}}
`;

const VIEWS = `from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView


class Burst(AnonRateThrottle):
    rate = "2/second"


class Orders(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "orders"


class Plain(APIView):
    pass


def catalogue(request):
    pass
`;

test('URL routes: include by module, list, tuple and imported module; i18n; append; routers', async () => {
  const project = await projectOf({
    'site/__init__.py': '',
    'site/settings.py': SETTINGS,
    'site/urls.py': `from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from shop import urls as shop_urls
from shop.views import Orders, catalogue

extra = [path("catalogue/", catalogue, name="catalogue")]

urlpatterns = [
    re_path(r"^orders/(?P<pk>[0-9]+)/$", Orders.as_view(), name="order"),
    path("shop/", include(shop_urls)),
    path("more/", include(extra)),
    path("pair/", include(("shop.urls", "shop"), namespace="pair")),
]
urlpatterns += i18n_patterns(path("about/", catalogue, name="about"))
urlpatterns.append(path("late/<weird:thing>/", Orders.as_view(), name="late"))
`,
    'shop/__init__.py': '',
    'shop/views.py': VIEWS,
    'shop/urls.py': `from django.urls import path
from rest_framework import routers
from shop import views

app_name = "shop"
router = routers.SimpleRouter()
router.register("plain", views.Plain, "plain")
urlpatterns = [path("orders/", views.Orders.as_view(), name="orders")] + router.urls
`,
  });
  const routes = project.routes();
  const reach = (p: string) => routes.find(r => r.pattern.test(p))?.view ?? null;
  assert.equal(reach('orders/12/'), 'shop.views.Orders');
  assert.equal(reach('orders/x/'), null);
  assert.equal(reach('shop/orders/'), 'shop.views.Orders');
  assert.equal(reach('shop/plain/4/'), 'shop.views.Plain');
  assert.equal(reach('more/catalogue/'), 'shop.views.catalogue');
  assert.equal(reach('fr/about/'), 'shop.views.catalogue');
  assert.equal(reach('about/'), 'shop.views.catalogue');
  assert.equal(reach('late/anything/'), 'shop.views.Orders');
  const named = (n: string) => routes.find(r => r.name?.test(n))?.pattern.source ?? null;
  assert.equal(named('shop:orders'), '^(?:shop\\/orders\\/)$');
  assert.equal(named('pair:orders'), '^(?:pair\\/orders\\/)$');
  assert.equal(named('shop:plain-detail'), '^(?:shop\\/plain(?:\\/.*)?)$');
  assert.equal(named('orders'), null);

  // a request by path (query and host aside) or by route name reaches the view's own throttles
  const byPath = project.requestThrottling({ path: 'http://testserver/shop/orders/?page=2' });
  assert.deepEqual(byPath?.throttles, [
    { throttle: 'rest_framework.throttling.ScopedRateThrottle', rate: '3/min', anonymousOnly: false },
  ]);
  assert.equal(project.requestThrottling({ name: 'pair:orders' })?.view, 'shop.views.Orders');
  // a view with no throttle_classes of its own (the settings' defaults apply), a function view, no route
  assert.equal(project.requestThrottling({ path: '/shop/plain/' }), null);
  assert.equal(project.requestThrottling({ path: '/more/catalogue/' }), null);
  assert.equal(project.requestThrottling({ path: '/nowhere/' }), null);
});

test('URL routes: none without a readable ROOT_URLCONF; a cycle of includes ends; no pattern that can backtrack for ever', async () => {
  const none = await projectOf({ 'site/__init__.py': '', 'site/settings.py': 'ROOT_URLCONF = URLS\n' });
  assert.deepEqual(none.routes(), []);
  const cycle = await projectOf({
    'site/__init__.py': '',
    'site/settings.py': SETTINGS,
    'site/urls.py': `from django.urls import include, path, re_path
urlpatterns = [
    path("again/", include("site.urls")),
    re_path(r"^bad(?<x", include("site.urls")),
    re_path(r"^(a+)+b$", views.slow),
    path("v/", views.missing),
]
`,
  });
  assert.deepEqual(
    cycle.routes().map(r => r.pattern.source),
    ['^(?:v\\/)$'],
  );
});
