/* vm-spec: see vm-spec.h. */
#include "vm-spec.h"

#include <stdlib.h>

static void
free_nic(struct vm_nic *n)
{
    free(n->name);
    free(n->mac);
    free(n->port);
    free(n->iface_id);
    for (size_t i = 0; i < n->n_addresses; i++) {
        free(n->addresses[i]);
    }
    free(n->addresses);
    free(n->gateway);
    for (size_t i = 0; i < n->n_routes; i++) {
        free(n->routes[i].to);
        free(n->routes[i].via);
    }
    free(n->routes);
}

void
vm_spec_free(struct vm_spec *s)
{
    if (!s) {
        return;
    }
    char **strings[] = {
        &s->domain,   &s->uuid,        &s->lab,   &s->guest,   &s->host,
        &s->hostname, &s->domain_type, &s->image, &s->overlay, &s->kernel,
        &s->initrd,   &s->cmdline,     &s->seed,  &s->console, &s->console_log,
        &s->bridge,   &s->user_data,
    };
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        free(*strings[i]);
    }
    for (size_t i = 0; i < s->n_ssh_keys; i++) {
        free(s->ssh_keys[i]);
    }
    free(s->ssh_keys);
    for (size_t i = 0; i < s->n_nics; i++) {
        free_nic(&s->nics[i]);
    }
    free(s->nics);
    free(s);
}
