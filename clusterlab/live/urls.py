from django.urls import path

from clusterlab.live import views

app_name = "live"
urlpatterns = [
    path("", views.cluster_list, name="clusters"),
    path("<int:cluster_id>/", views.editor, name="editor"),
]
