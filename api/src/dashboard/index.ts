export { dashboardRoutes, type DashboardOptions } from './dashboard-routes';
export { dashboardThresholds, type DashboardData, type DashboardThresholds } from './dashboard-data';
